package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// processes fetches GET /admin/processes with an admin token.
func (g *gateway) processes(t *testing.T) admin.ProcessStatus {
	t.Helper()
	resp, b := g.do(context.Background(), "GET", "/admin/processes", g.adminToken(), nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin/processes: %d %s", resp.StatusCode, b)
	}
	return decode[admin.ProcessStatus](t, b)
}

// waitProcesses polls GET /admin/processes until cond holds and returns that view.
func (g *gateway) waitProcesses(t *testing.T, what string, cond func(admin.ProcessStatus) bool) admin.ProcessStatus {
	t.Helper()
	var st admin.ProcessStatus
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st = g.processes(t); cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			b, _ := json.Marshal(st)
			t.Fatalf("timed out waiting for %s; last view %s", what, b)
		}
	}
}

// TestAdminProcesses walks one CLI slot through every state the admin view shows:
// a prewarmed spare, adopted and busy, a second key's turn queued behind it, then
// idle with its turns counted.
func TestAdminProcesses(t *testing.T) {
	t.Parallel()
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.MaxProcesses, c.Prewarm, c.NodeName = 1, 1, "solo" })
	var slow atomic.Bool
	slow.Store(true)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		if slow.Load() {
			return testkit.Reply{Text: "slow", FirstByteDelay: 1500 * time.Millisecond}
		}
		return testkit.Reply{Text: "quick"}
	})
	key1, k1 := g.newKey(store.KeyActive)
	key2, k2 := g.newKey(store.KeyActive)
	start := time.Now()

	st := g.waitProcesses(t, "a prewarmed spare", func(s admin.ProcessStatus) bool {
		return len(s.Processes) == 1 && s.Processes[0].State == "prewarmed" && s.Processes[0].RSSBytes > 0
	})
	spare := st.Processes[0]
	if spare.PID <= 0 || spare.ConversationID != "" || spare.APIKeyID != "" || st.MaxProcesses != 1 || len(st.Queue) != 0 {
		t.Fatalf("spare view %+v", st)
	}
	// A single node: its own table, the process and the one node named.
	if len(st.Nodes) != 1 || st.Nodes[0].Node != "solo" || st.Node != "solo" || !st.Nodes[0].Self || st.Nodes[0].Status != "ok" ||
		st.Nodes[0].Processes != 1 || st.Nodes[0].MaxProcesses != 1 || spare.Node != st.Node {
		t.Fatalf("single node view %+v", st)
	}

	var wg sync.WaitGroup
	results := make([]api.ChatResponse, 2)
	wg.Add(1)
	go func() { defer wg.Done(); results[0] = g.chatOK(key1, api.ChatRequest{Message: "first"}) }()
	st = g.waitProcesses(t, "key 1's turn busy", func(s admin.ProcessStatus) bool {
		return len(s.Processes) == 1 && s.Processes[0].State == "busy"
	})
	busy := st.Processes[0]
	if busy.PID != spare.PID || busy.APIKeyID != k1.ID || busy.ConversationID == "" || busy.RSSBytes <= 0 || st.Busy != 1 {
		t.Fatalf("busy view %+v (the spare was pid %d)", busy, spare.PID)
	}

	wg.Add(1)
	go func() { defer wg.Done(); results[1] = g.chatOK(key2, api.ChatRequest{Message: "second"}) }()
	st = g.waitProcesses(t, "key 2's turn queued", func(s admin.ProcessStatus) bool { return len(s.Queue) == 1 })
	if q := st.Queue[0]; q.APIKeyID != k2.ID || q.Waiting != 1 {
		t.Fatalf("queue %+v, want key 2 waiting once", st.Queue)
	}
	wg.Wait()

	// Key 2's turn evicted key 1's idle process; a quick second turn counts.
	slow.Store(false)
	g.chatOK(key2, api.ChatRequest{Message: "again", ConversationID: results[1].ConversationID})
	st = g.processes(t)
	if len(st.Processes) != 1 || len(st.Queue) != 0 || st.Busy != 0 {
		t.Fatalf("final view %+v", st)
	}
	p := st.Processes[0]
	if p.State != "idle" || p.ConversationID != results[1].ConversationID || p.APIKeyID != k2.ID ||
		p.Turns != 2 || p.RSSBytes <= 0 || p.PID <= 0 || p.StartedAt.Before(start.Add(-time.Second)) ||
		p.StartedAt.After(time.Now()) || p.LastUsedAt.Before(p.StartedAt) {
		t.Fatalf("idle process %+v", p)
	}
	// The cluster view of a single node counts the same process.
	_, b := g.do(context.Background(), "GET", "/admin/cluster", g.adminToken(), nil)
	cl := decode[admin.ClusterStatus](t, b)
	if len(cl.Members) != 1 || cl.Clustered || !cl.Members[0].Self || cl.Members[0].Processes == nil || *cl.Members[0].Processes != 1 ||
		cl.Members[0].Busy == nil || *cl.Members[0].Busy != 0 || cl.Members[0].Queued == nil || *cl.Members[0].Queued != 0 {
		t.Fatalf("/admin/cluster %s", b)
	}

	t.Run("an API key is not an admin", func(t *testing.T) {
		if resp, b := g.do(context.Background(), "GET", "/admin/processes", key1, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("with an API key: %d %s", resp.StatusCode, b)
		}
	})
}
