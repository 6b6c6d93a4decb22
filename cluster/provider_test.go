package cluster

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// topologies records the ClusterTopology events the member list publishes.
type topologies struct {
	mu   sync.Mutex
	seen []*cluster.ClusterTopology
}

func (r *topologies) last() *cluster.ClusterTopology {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seen) == 0 {
		return nil
	}
	return r.seen[len(r.seen)-1]
}

// startNode starts an actor system with an echo kind on a SingleNode provider.
func startNode(t *testing.T) (*cluster.Cluster, *SingleNode, *topologies) {
	t.Helper()
	sys := actor.NewActorSystem()
	rec := &topologies{}
	sys.EventStream.Subscribe(func(ev any) {
		if tp, ok := ev.(*cluster.ClusterTopology); ok {
			rec.mu.Lock()
			rec.seen = append(rec.seen, tp)
			rec.mu.Unlock()
		}
	})
	echo := cluster.NewKind("echo", actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			c.Respond(wrapperspb.String("echo " + m.Value))
		}
	}))
	p := NewSingleNode()
	cfg := cluster.Configure("test", p, disthash.New(), remote.Configure("127.0.0.1", 0), cluster.WithKinds(echo))
	c := cluster.New(sys, cfg)
	c.StartMember()
	t.Cleanup(func() { c.Shutdown(false) })
	return c, p, rec
}

func TestSingleNodePublishesExactlyThisMember(t *testing.T) {
	t.Parallel()
	c, _, rec := startNode(t)
	members := c.MemberList.Members().Members()
	if len(members) != 1 {
		t.Fatalf("%d members, want 1: %v", len(members), members)
	}
	m := members[0]
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		t.Fatal(err)
	}
	if m.Id != c.ActorSystem.ID || m.Host != host || int(m.Port) != port || port == 0 {
		t.Errorf("member %+v, want id %s at %s:%d", m, c.ActorSystem.ID, host, port)
	}
	if !slices.Contains(m.Kinds, "echo") {
		t.Errorf("member kinds %v lack the node's kind", m.Kinds)
	}
	if tp := rec.last(); tp == nil || len(tp.Members) != 1 || tp.Members[0].Id != c.ActorSystem.ID {
		t.Errorf("published topology %v, want this member alone", tp)
	}
	// The topology is usable: a grain of the kind activates here and answers.
	res, err := c.Request("id-1", "echo", wrapperspb.String("hi"), cluster.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if got := res.(*wrapperspb.StringValue).Value; got != "echo hi" {
		t.Errorf("grain answered %q", got)
	}
}

func TestSingleNodeMemberIDIsNewAtEachStart(t *testing.T) {
	t.Parallel()
	a, _, _ := startNode(t)
	b, _, _ := startNode(t)
	if a.ActorSystem.ID == b.ActorSystem.ID {
		t.Fatal("two starts share a member id: a restarted node would look blocked")
	}
}

func TestSingleNodeShutdown(t *testing.T) {
	t.Parallel()
	t.Run("graceful withdraws the member", func(t *testing.T) {
		t.Parallel()
		c, p, rec := startNode(t)
		if err := p.Shutdown(true); err != nil {
			t.Fatal(err)
		}
		if n := c.MemberList.Length(); n != 0 {
			t.Errorf("%d members after a graceful shutdown", n)
		}
		if tp := rec.last(); tp == nil || len(tp.Members) != 0 || len(tp.Left) != 1 {
			t.Errorf("last topology %v, want the member left", tp)
		}
		if err := p.Shutdown(true); err != nil { // idempotent
			t.Errorf("second shutdown: %v", err)
		}
	})
	t.Run("abrupt leaves the topology alone", func(t *testing.T) {
		t.Parallel()
		c, p, _ := startNode(t)
		if err := p.Shutdown(false); err != nil {
			t.Fatal(err)
		}
		if n := c.MemberList.Length(); n != 1 {
			t.Errorf("%d members after an abrupt shutdown, want 1", n)
		}
	})
}

func TestSingleNodeHasNoClients(t *testing.T) {
	if err := NewSingleNode().StartClient(nil); err == nil {
		t.Fatal("StartClient succeeded")
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"valid", Config{Name: "c", Bind: "127.0.0.1:0"}, true},
		{"no name", Config{Bind: "127.0.0.1:0"}, false},
		{"no port", Config{Name: "c", Bind: "127.0.0.1"}, false},
		{"bad port", Config{Name: "c", Bind: "127.0.0.1:99999"}, false},
		{"gossip", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "127.0.0.1:7946", Join: []string{"10.0.0.2:7946"}, Advertise: "10.0.0.1", Secret: "0123456789abcdef"}, true},
		{"advertise with port", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "0.0.0.0:7946", Advertise: "10.0.0.1:17946"}, true},
		{"bad gossip", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "127.0.0.1"}, false},
		{"bad join", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "127.0.0.1:7946", Join: []string{"x"}}, false},
		{"join without gossip", Config{Name: "c", Bind: "127.0.0.1:0", Join: []string{"10.0.0.2:7946"}}, false},
		{"short secret", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "127.0.0.1:7946", Secret: "short"}, false},
		{"probe timeout over interval", Config{Name: "c", Bind: "127.0.0.1:0", Gossip: "127.0.0.1:7946",
			Failure: FailureDetection{ProbeInterval: time.Second, ProbeTimeout: 2 * time.Second}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.cfg.Validate(); (err == nil) != tc.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
