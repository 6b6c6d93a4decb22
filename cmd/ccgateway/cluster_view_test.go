package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// clusterProcesses is GET /admin/processes as these tests read it.
type clusterProcesses struct {
	Node      string
	Processes []struct {
		Node           string
		ConversationID string `json:"conversation_id"`
	}
	Nodes []struct {
		Node      string
		Self      bool
		Status    string
		Error     string
		Processes int
	}
}

// clusterMembers is GET /admin/cluster as these tests read it.
type clusterMembers struct {
	Members []struct {
		Node       string
		Status     string
		Processes  *int
		Busy       *int
		Queued     *int
		StatsError string `json:"stats_error"`
	}
}

// checkClusterView: from viewer, a node that does not run conv, GET
// /admin/processes lists conv's CLI process with its node (owner) and every
// member answering; GET /admin/cluster gives every member its live counts (one
// process on owner, none elsewhere); and a request ending on another node
// (sender) appears in viewer's GET /admin/events with that node named.
func checkClusterView(t *testing.T, c *testCluster, viewer, owner, sender *clusterNode, keyID, key, conv string) {
	t.Helper()
	var ps clusterProcesses
	var took []time.Duration
	for range 20 {
		start := time.Now()
		c.do(viewer, "GET", "/admin/processes", c.admin, nil, http.StatusOK, &ps)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("GET /admin/processes on %s over %d nodes: p50 %s, max %s (20 calls)", viewer.name, len(ps.Nodes),
		took[len(took)/2].Round(10*time.Microsecond), took[len(took)-1].Round(10*time.Microsecond))
	if ps.Node != viewer.name {
		t.Errorf("/admin/processes answered by %q, want %s", ps.Node, viewer.name)
	}
	var where []string
	for _, p := range ps.Processes {
		if p.ConversationID == conv {
			where = append(where, p.Node)
		}
	}
	if !slices.Equal(where, []string{owner.name}) {
		t.Errorf("%s lists the conversation's process on %v, want on %s only: %+v", viewer.name, where, owner.name, ps)
	}
	if len(ps.Nodes) != len(c.nodes) {
		t.Errorf("/admin/processes on %s covers %d nodes, want %d: %+v", viewer.name, len(ps.Nodes), len(c.nodes), ps.Nodes)
	}
	for _, n := range ps.Nodes {
		want := 0
		if n.Node == owner.name {
			want = 1
		}
		if n.Status != "ok" || n.Processes != want || n.Self != (n.Node == viewer.name) {
			t.Errorf("/admin/processes on %s: node %+v, want ok with %d processes", viewer.name, n, want)
		}
	}

	var cl clusterMembers
	c.do(viewer, "GET", "/admin/cluster", c.admin, nil, http.StatusOK, &cl)
	for _, m := range cl.Members {
		want := 0
		if m.Node == owner.name {
			want = 1
		}
		if m.Status != "alive" || m.Processes == nil || *m.Processes != want || m.Busy == nil || *m.Busy != 0 || m.Queued == nil || *m.Queued != 0 {
			t.Errorf("/admin/cluster on %s: member %s %s processes %v busy %v queued %v (%s), want %d processes, none busy or queued",
				viewer.name, m.Node, m.Status, deref(m.Processes), deref(m.Busy), deref(m.Queued), m.StatsError, want)
		}
	}

	// The live feed on viewer carries a request that ends on sender.
	req, _ := http.NewRequest("GET", viewer.base+"/admin/events?api_key_id="+keyID, nil)
	req.Header.Set("Authorization", "Bearer "+c.admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := make(chan string, 64)
	go func() {
		defer close(lines)
		rd := bufio.NewReader(resp.Body)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			lines <- line
		}
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the event feed ended")
			}
			return l
		case <-time.After(15 * time.Second):
			t.Fatal("no line on the event feed within 15 s")
		}
		return ""
	}
	if l := next(); !strings.HasPrefix(l, ": connected") {
		t.Fatalf("first line of the feed %q", l)
	}
	sent := time.Now()
	if status, r := c.chat(sender, key, unknownConv, "seen from afar"); status != http.StatusNotFound {
		t.Fatalf("a request through %s: %d %s", sender.name, status, r.raw)
	}
	event := ""
	for {
		l := next()
		if name, ok := strings.CutPrefix(l, "event: "); ok {
			event = strings.TrimSpace(name)
			continue
		}
		data, ok := strings.CutPrefix(l, "data: ")
		if !ok || event != "request" {
			continue
		}
		var ev struct {
			Node       string
			Endpoint   string
			StatusCode int `json:"status_code"`
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		if ev.Node != sender.name || ev.StatusCode != http.StatusNotFound || ev.Endpoint != "/api/chat" {
			t.Fatalf("the feed on %s carried %+v, want the 404 of /api/chat on %s", viewer.name, ev, sender.name)
		}
		t.Logf("a request ending on %s reached the feed on %s %s after it was sent", sender.name, viewer.name, time.Since(sent).Round(time.Millisecond))
		return
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}
