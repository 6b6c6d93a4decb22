package actors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/internal/usage"
)

// statusOf returns the entry of the member named node.
func statusOf(t *testing.T, all []NodeProcessStatus, node string) NodeProcessStatus {
	t.Helper()
	i := slices.IndexFunc(all, func(n NodeProcessStatus) bool { return n.Member.Node == node })
	if i < 0 {
		t.Fatalf("no member %s in %+v", node, all)
	}
	return all[i]
}

// TestClusterViewProcessesAndEvents: a node sees the CLI processes of another
// member (ClusterProcessStatus) and the request events recorded there
// (ClusterEvents, while it subscribes); a member that stops answering is
// reported with an error once the per-member deadline passes, instead of
// holding up the answer.
func TestClusterViewProcessesAndEvents(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	x := clusterSystem(t, st, fake, "x")
	y := clusterSystem(t, st, fake, "y", x.prov.GossipAddr())
	formed(t, x, y)

	// Events: y's recorded requests reach x's subscribers, and only from the
	// subscription on (the hub stands for y's usage writer).
	x.view.renewEvery = 100 * time.Millisecond // so that the end of the subscription is seen soon
	var yEvents usage.Hub
	y.ShareEvents(&yEvents)
	yEvents.Publish(&store.UsageEvent{Node: "y", RequestID: "before"})
	sub := x.ClusterEvents(context.Background(), 16)
	defer sub.Close()
	yEvents.Publish(&store.UsageEvent{Node: "y", RequestID: "after", StatusCode: 404, Endpoint: "/api/chat"})
	select {
	case ev := <-sub.C:
		if ev.RequestID != "after" || ev.Node != "y" || ev.StatusCode != 404 || ev.Endpoint != "/api/chat" {
			t.Fatalf("x's feed got %+v, want y's request after the subscription", ev)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("y's event did not reach x's feed")
	}

	// A subscriber that does not read misses events (counted) rather than
	// holding up the node that records them: Publish never waits.
	slow := x.ClusterEvents(context.Background(), 1)
	defer slow.Close()
	for i := range 50 {
		yEvents.Publish(&store.UsageEvent{Node: "y", RequestID: fmt.Sprint("burst", i)})
	}
	testkit.Eventually(t, 10*time.Second, "the slow subscriber counts what it missed", func() bool {
		return len(slow.C) == 1 && slow.Missed() == 49
	})
	if ev := <-slow.C; ev.RequestID != "burst0" {
		t.Errorf("the slow subscriber kept %q, want the first event", ev.RequestID)
	}

	// Once x's last admin leaves, x ends its subscription: y sends nothing more.
	slow.Close()
	sub.Close()
	testkit.Eventually(t, 10*time.Second, "y stops sending its events to x", func() bool {
		y.view.mu.Lock()
		defer y.view.mu.Unlock()
		return len(y.view.out) == 0 && !y.view.forwarding
	})

	// Processes: the conversation's CLI process is listed by the other node too,
	// under its owner.
	keyID := createKey(t, st)
	conv, err := x.CreateConversation(context.Background(), keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(x, keyID, conv.ID, "hi"); err != nil {
		t.Fatal(err)
	}
	owner, viewer := x, y
	if runsConversation(y, conv.ID) {
		owner, viewer = y, x
	}
	all := viewer.ClusterProcessStatus(context.Background(), 5*time.Second)
	if len(all) != 2 {
		t.Fatalf("%d members in the view, want 2: %+v", len(all), all)
	}
	own := owner.Processes()
	o := statusOf(t, all, owner.cfg.Node)
	if o.Err != nil || o.Member.Self || len(own) != 1 || !slices.ContainsFunc(o.Status.Processes, func(p ProcessInfo) bool {
		return p.ConversationID == conv.ID && p.APIKeyID == keyID && p.PID == own[0].PID && p.PID > 0
	}) {
		t.Fatalf("%s's view of %s: %+v (err %v), want the conversation's process %+v", viewer.cfg.Node, owner.cfg.Node, o.Status, o.Err, own)
	}
	if o.Status.MaxProcesses != owner.ProcessStatus().MaxProcesses {
		t.Errorf("max processes %d, the owner says %d", o.Status.MaxProcesses, owner.ProcessStatus().MaxProcesses)
	}
	if v := statusOf(t, all, viewer.cfg.Node); v.Err != nil || !v.Member.Self || len(v.Status.Processes) != 0 {
		t.Errorf("the viewer's own entry: %+v", v)
	}

	// The owner's host stops answering: the view still answers, with an error
	// for it (no answer within the deadline, or declared dead by then).
	crash(t, owner)
	all = viewer.ClusterProcessStatus(context.Background(), 300*time.Millisecond)
	if o := statusOf(t, all, owner.cfg.Node); o.Err == nil {
		t.Fatalf("a crashed member answered: %+v", o)
	} else {
		t.Logf("the crashed member: %v (after %s)", o.Err, o.Took)
	}
	testkit.Eventually(t, 15*time.Second, "the crashed member is declared dead", func() bool {
		return slices.ContainsFunc(viewer.Members(), func(m cluster.MemberStatus) bool {
			return m.Node == owner.cfg.Node && m.State == cluster.StateDead
		})
	})
	if o := statusOf(t, viewer.ClusterProcessStatus(context.Background(), 5*time.Second), owner.cfg.Node); !errors.Is(o.Err, ErrMemberNotLive) {
		t.Errorf("a dead member: %v, want ErrMemberNotLive (not asked)", o.Err)
	}
}
