package cluster

import (
	"fmt"
	"io"
	"log/slog"
	"net"
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

// gossipNode is one in-process cluster member on a memberlist Provider.
type gossipNode struct {
	c *cluster.Cluster
	p *Provider

	mu     sync.Mutex
	events []Event
}

func (n *gossipNode) seen(t EventType, id string) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ev := range n.events {
		if ev.Type == t && ev.Member.ID == id {
			return ev.At, true
		}
	}
	return time.Time{}, false
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startGossipNode starts a member named node of cluster name that joins join.
func startGossipNode(t *testing.T, name, node string, secret string, join ...string) *gossipNode {
	t.Helper()
	cfg := Config{Name: name, Bind: "127.0.0.1:0", Gossip: "127.0.0.1:0", Join: join, Secret: secret, JoinBackoffMax: 200 * time.Millisecond}
	p, err := NewProvider(cfg, NodeInfo{Node: node, HTTP: "127.0.0.1:8080", Version: "test"}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	n := &gossipNode{p: p}
	p.Subscribe(func(ev Event) {
		n.mu.Lock()
		n.events = append(n.events, ev)
		n.mu.Unlock()
	})
	echo := cluster.NewKind("echo", actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*wrapperspb.StringValue); ok {
			c.Respond(wrapperspb.String(node + ":" + m.Value))
		}
	}))
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quietLog() }))
	rc := remote.Configure("127.0.0.1", 0)
	rc.MaxRetryCount = 1
	n.c = cluster.New(sys, cluster.Configure(name, p, disthash.New(), rc, cluster.WithKinds(echo)))
	n.c.StartMember()
	t.Cleanup(func() { _ = p.Shutdown(false); n.c.Shutdown(false) })
	return n
}

func memberIDs(c *cluster.Cluster) []string {
	var ids []string
	for _, m := range c.MemberList.Members().Members() {
		ids = append(ids, m.Id)
	}
	slices.Sort(ids)
	return ids
}

func eventually(t *testing.T, within time.Duration, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startThree starts three members; b and c join a.
func startThree(t *testing.T, name string) []*gossipNode {
	a := startGossipNode(t, name, "a", "")
	b := startGossipNode(t, name, "b", "", a.p.GossipAddr())
	c := startGossipNode(t, name, "c", "", a.p.GossipAddr())
	nodes := []*gossipNode{a, b, c}
	want := []string{a.c.ActorSystem.ID, b.c.ActorSystem.ID, c.c.ActorSystem.ID}
	slices.Sort(want)
	for _, n := range nodes {
		eventually(t, 5*time.Second, "every member sees all three", func() bool { return slices.Equal(memberIDs(n.c), want) })
	}
	return nodes
}

func TestProviderThreeMembersShareOneTopology(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, "topo")
	// Every member routes an identity to the same owner, whichever node asks.
	for i := range 10 {
		id := fmt.Sprintf("id-%d", i)
		var owners []string
		for _, n := range nodes {
			res, err := n.c.Request(id, "echo", wrapperspb.String("x"), cluster.WithTimeout(5*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			owners = append(owners, res.(*wrapperspb.StringValue).Value)
		}
		if owners[0] != owners[1] || owners[1] != owners[2] {
			t.Fatalf("identity %s answered by %v: want one owner", id, owners)
		}
	}
	// The admin view names every member with its metadata.
	ms := nodes[1].p.Members()
	if len(ms) != 3 {
		t.Fatalf("members %+v", ms)
	}
	for i, m := range ms {
		if m.Node != string(rune('a'+i)) || m.State != StateAlive || m.Version != "test" || m.HTTP != "127.0.0.1:8080" || m.Gossip == "" || m.Port == 0 {
			t.Errorf("member %d: %+v", i, m)
		}
		if m.Self != (m.Node == "b") {
			t.Errorf("member %s self=%v", m.Node, m.Self)
		}
	}
}

func TestProviderGracefulLeaveAndDeath(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, "leave")
	a, b, c := nodes[0], nodes[1], nodes[2]
	// A graceful leave is announced: the others see it as left, at once.
	left := time.Now()
	if err := c.p.Shutdown(true); err != nil {
		t.Fatal(err)
	}
	cid := c.c.ActorSystem.ID
	eventually(t, 10*time.Second, "a sees c leave", func() bool { _, ok := a.seen(MemberLeft, cid); return ok })
	at, _ := a.seen(MemberLeft, cid)
	t.Logf("graceful leave seen after %s", at.Sub(left))
	eventually(t, 10*time.Second, "c leaves the actor topology", func() bool { return len(memberIDs(a.c)) == 2 })
	if _, ok := a.seen(MemberDead, cid); ok {
		t.Error("a graceful leave reported as a death")
	}
	// A member that stops without leaving is declared dead by failure detection.
	bid := b.c.ActorSystem.ID
	killed := time.Now()
	if err := b.p.Shutdown(false); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "a declares b dead", func() bool { _, ok := a.seen(MemberDead, bid); return ok })
	at, _ = a.seen(MemberDead, bid)
	t.Logf("crash detected after %s", at.Sub(killed))
	eventually(t, 3*time.Second, "b leaves the actor topology", func() bool {
		return slices.Equal(memberIDs(a.c), []string{a.c.ActorSystem.ID})
	})
	states := map[string]string{}
	for _, m := range a.p.Members() {
		states[m.Node] = m.State
	}
	if want := map[string]string{"a": StateAlive, "b": StateDead, "c": StateLeft}; !maps(states, want) {
		t.Errorf("admin view states %v, want %v", states, want)
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestProviderBroadcast(t *testing.T) {
	t.Parallel()
	nodes := startThree(t, "bcast")
	got := make(chan Message, 4)
	for _, n := range nodes[1:] {
		n.p.Handle("keys", func(m Message) { got <- m })
	}
	if err := nodes[0].p.Broadcast("keys", []byte("k1")); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		select {
		case m := <-got:
			if m.Topic != "keys" || string(m.Payload) != "k1" || m.From != nodes[0].c.ActorSystem.ID {
				t.Errorf("received %+v", m)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("a member missed the broadcast")
		}
	}
	select {
	case m := <-got:
		t.Errorf("extra delivery %+v", m)
	case <-time.After(50 * time.Millisecond):
	}
}

func TestProviderRefusesOtherClusters(t *testing.T) {
	t.Parallel()
	t.Run("another name", func(t *testing.T) {
		t.Parallel()
		a := startGossipNode(t, "one", "a", "")
		b := startGossipNode(t, "two", "b", "", a.p.GossipAddr())
		time.Sleep(700 * time.Millisecond)
		if n := len(memberIDs(a.c)); n != 1 {
			t.Errorf("a cluster of another name joined: %d members", n)
		}
		select {
		case <-b.p.Joined():
			t.Error("the join across cluster names succeeded")
		default:
		}
	})
	t.Run("another secret", func(t *testing.T) {
		t.Parallel()
		a := startGossipNode(t, "sec", "a", "0123456789abcdef-one")
		b := startGossipNode(t, "sec", "b", "0123456789abcdef-two", a.p.GossipAddr())
		time.Sleep(700 * time.Millisecond)
		if n := len(memberIDs(a.c)); n != 1 {
			t.Errorf("a member with another secret joined: %d members", n)
		}
		c := startGossipNode(t, "sec", "c", "0123456789abcdef-one", a.p.GossipAddr())
		eventually(t, 5*time.Second, "the same secret joins", func() bool { return len(memberIDs(c.c)) == 2 })
		_ = b
	})
}

func TestProviderJoinRetriesUntilASeedAnswers(t *testing.T) {
	t.Parallel()
	// b starts first, pointed at an address where nobody listens yet.
	a := &gossipNode{}
	port := freePort(t)
	b := startGossipNode(t, "retry", "b", "", fmt.Sprintf("127.0.0.1:%d", port))
	time.Sleep(300 * time.Millisecond)
	cfg := Config{Name: "retry", Bind: "127.0.0.1:0", Gossip: fmt.Sprintf("127.0.0.1:%d", port)}
	p, err := NewProvider(cfg, NodeInfo{Node: "a"}, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	a.p = p
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quietLog() }))
	a.c = cluster.New(sys, cluster.Configure("retry", p, disthash.New(), remote.Configure("127.0.0.1", 0)))
	a.c.StartMember()
	t.Cleanup(func() { _ = p.Shutdown(false); a.c.Shutdown(false) })
	select {
	case <-b.p.Joined():
	case <-time.After(5 * time.Second):
		t.Fatal("b never joined once a came up")
	}
	eventually(t, 2*time.Second, "both see two members", func() bool { return len(memberIDs(a.c)) == 2 && len(memberIDs(b.c)) == 2 })
}

func TestMetaFitsMemberlistLimit(t *testing.T) {
	m := Meta{ID: "01J9Z8Q7Y6X5W4V3U2T1S0R9Q8", Host: "10.200.200.200", Port: 65535, Kinds: []string{"conversation", "tenant"},
		Node: "node-with-a-long-name-0001", HTTP: "10.200.200.200:65535", Version: "v1.2.3-45-gabcdef0-dirty", JoinedAt: time.Now()}
	b, err := m.encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 256 {
		t.Errorf("typical metadata is %d bytes: keep it compact", len(b))
	}
	back, err := decodeMeta(b)
	if err != nil || back.ID != m.ID || back.Address() != "10.200.200.200:65535" || back.Node != m.Node || !slices.Equal(back.Kinds, m.Kinds) {
		t.Errorf("round trip: %+v, %v", back, err)
	}
	m.Node = string(make([]byte, 600))
	if _, err := m.encode(); err == nil {
		t.Error("metadata over 512 bytes accepted")
	}
}

func TestMessageFraming(t *testing.T) {
	b, err := encodeMessage("policies", "member-1", []byte("payload"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := decodeMessage(b)
	if err != nil || m.Topic != "policies" || m.From != "member-1" || string(m.Payload) != "payload" {
		t.Errorf("decoded %+v, %v", m, err)
	}
	for _, bad := range [][]byte{nil, {9}, {1, 200, 'x'}, b[:5]} {
		if _, err := decodeMessage(bad); err == nil {
			t.Errorf("malformed %v decoded", bad)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
