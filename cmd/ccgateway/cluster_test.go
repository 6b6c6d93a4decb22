package main

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// lastHistory is the user texts of the fake API's last request: the history the
// CLI sent with the turn.
func lastHistory(f *testkit.FakeAPI) []string {
	reqs := f.Requests()
	if len(reqs) == 0 {
		return nil
	}
	var texts []string
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "user" {
			texts = append(texts, m.Text)
		}
	}
	return texts
}

func hasAll(texts []string, want ...string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(texts, func(s string) bool { return strings.Contains(s, w) }) {
			return false
		}
	}
	return true
}

// TestClusterConversationAcrossNodesAndFailover: a conversation started on A and
// continued through B and C keeps its history and runs on one node's CLI only;
// after kill -9 of that node the next turn, through a survivor, succeeds with the
// whole history (resumed from the stored transcript).
func TestClusterConversationAcrossNodesAndFailover(t *testing.T) {
	t0 := time.Now()
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	c := startTestClusterEnv(t, 3, []string{"OTEL_EXPORTER_OTLP_ENDPOINT=" + collector.URL, "OTEL_BSP_SCHEDULE_DELAY=100"})
	t.Logf("cluster up after %s", time.Since(t0))
	keyID, key := c.newKey(c.nodes[0], map[string]any{})
	var ready struct {
		ClusterMembers int `json:"cluster_members"`
		Checks         []struct {
			Name string
			OK   bool
		}
	}
	c.do(c.nodes[1], "GET", "/readyz", "", nil, nil, &ready)
	if ready.ClusterMembers != 3 || !slices.ContainsFunc(ready.Checks, func(ch struct {
		Name string
		OK   bool
	}) bool {
		return ch.Name == "cluster" && ch.OK
	}) {
		t.Errorf("/readyz on node-b: %+v", ready)
	}

	status, r := c.chat(c.nodes[0], key, "", "turn one through a")
	if status != http.StatusOK {
		t.Fatalf("first turn: %d %s", status, r.raw)
	}
	conv := r.ConversationID
	turns := []chatReply{r}
	for i, n := range c.nodes[1:] {
		msg := fmt.Sprintf("turn %d through %s", i+2, n.name)
		status, r := c.chat(n, key, conv, msg)
		if status != http.StatusOK {
			t.Fatalf("%s: %d %s", msg, status, r.raw)
		}
		turns = append(turns, r)
	}
	if h := lastHistory(c.fake); !hasAll(h, "turn one through a", "turn 2 through node-b", "turn 3 through node-c") {
		t.Fatalf("the third turn's history is %q", h)
	}
	t.Logf("three turns done after %s", time.Since(t0))
	owners := c.processOwners()
	if len(owners) != 1 {
		t.Fatalf("CLI processes on %v: want exactly the owner's", owners)
	}
	var owner *clusterNode
	var survivors []*clusterNode
	for _, n := range c.nodes {
		if n.name == owners[0] {
			owner = n
		} else {
			survivors = append(survivors, n)
		}
	}
	if pids := cliProcessesUnder(owner.data); len(pids) != 1 {
		t.Fatalf("owner %s runs %d CLI processes for one conversation", owner.name, len(pids))
	}
	checkCrossNodeTraces(t, recv, turns, owner.name)
	checkClusterView(t, c, survivors[0], owner, survivors[1], keyID, key, conv)

	// kill -9 of the owner while the conversation is idle. The first turn after it,
	// through a survivor, succeeds: its request to the dead owner is abandoned
	// once the cluster declares the owner dead, and sent again to the new one.
	owner.kill()
	killed := time.Now()
	// Meanwhile the admin view on the other survivor still answers, without the
	// dead owner's processes.
	view := make(chan clusterProcesses, 1)
	go func() {
		var ps clusterProcesses
		status, raw := c.call(survivors[1], "GET", "/admin/processes", c.admin, nil)
		if status != http.StatusOK || json.Unmarshal(raw, &ps) != nil {
			t.Errorf("/admin/processes on %s right after the crash: %d %s", survivors[1].name, status, raw)
		}
		view <- ps
	}()
	members := make(chan clusterMembers, 1)
	go func() {
		var cl clusterMembers
		status, raw := c.call(survivors[1], "GET", "/admin/cluster", c.admin, nil)
		if status != http.StatusOK || json.Unmarshal(raw, &cl) != nil {
			t.Errorf("/admin/cluster on %s right after the crash: %d %s", survivors[1].name, status, raw)
		}
		members <- cl
	}()
	status, r = c.chat(survivors[0], key, conv, "after the crash")
	if status != http.StatusOK {
		t.Fatalf("the first turn after the owner's crash: %d %s", status, r.raw)
	}
	took := time.Since(killed)
	detected := "not logged"
	if at, ok := c.deathLogged(survivors[0], owner); ok {
		detected = at.Sub(killed).Round(time.Millisecond).String()
	}
	t.Logf("failover: kill -9 of the owner to the first successful turn through a survivor: %s (declared dead on that survivor after %s)",
		took.Round(time.Millisecond), detected)
	if h := lastHistory(c.fake); !hasAll(h, "turn one through a", "turn 2 through node-b", "turn 3 through node-c", "after the crash") {
		t.Fatalf("the turn after failover lost history: %q", h)
	}
	ps := <-view
	for _, n := range ps.Nodes {
		if n.Node == owner.name {
			if n.Status != "unavailable" || n.Error == "" {
				t.Errorf("/admin/processes right after the crash reports the dead owner as %+v", n)
			}
			t.Logf("/admin/processes right after the crash: %s %s (%s)", n.Node, n.Status, n.Error)
		}
	}
	for _, p := range ps.Processes {
		if p.Node == owner.name {
			t.Errorf("/admin/processes right after the crash lists a process on the dead owner: %+v", p)
		}
	}
	// /admin/cluster: the dead owner's counts are unknown (it did not answer, or
	// was declared dead by then), the survivors' known.
	for _, m := range (<-members).Members {
		if unknown := m.Processes == nil && m.Busy == nil && m.Queued == nil && m.StatsError != ""; unknown != (m.Node == owner.name) {
			t.Errorf("/admin/cluster right after the crash: %s %s processes %v busy %v queued %v (%q)",
				m.Node, m.Status, deref(m.Processes), deref(m.Busy), deref(m.Queued), m.StatsError)
		} else if unknown {
			t.Logf("/admin/cluster right after the crash: %s %s, counts unknown (%s)", m.Node, m.Status, m.StatsError)
		}
	}
	t.Logf("failover checked after %s", time.Since(t0))
	if owners := c.processOwners(); len(owners) != 1 || owners[0] == owner.name {
		t.Errorf("after failover CLI processes run on %v", owners)
	}
}

// deathLogged returns when n logged that the cluster declared dead's node dead.
func (c *testCluster) deathLogged(n, dead *clusterNode) (time.Time, bool) {
	for _, line := range strings.Split(n.logs.String(), "\n") {
		var rec struct {
			Time time.Time
			Msg  string
			Node string
		}
		if json.Unmarshal([]byte(line), &rec) == nil && strings.HasPrefix(rec.Msg, "cluster member dead") && rec.Node == dead.name {
			return rec.Time, true
		}
	}
	return time.Time{}, false
}

// pollUntil calls ok every 10 ms until it holds and returns how long that took,
// failing after limit.
func pollUntil(t *testing.T, limit time.Duration, what string, ok func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !ok() {
		if time.Since(start) > limit {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return time.Since(start)
}

// keyBound and policyBound are what a key or policy change may take to reach
// another node in these tests: under the store fallbacks (the key cache's 5 s, the
// policy watch's 10 s), so only the cluster broadcast passes. The target is under
// a second, and the measured times are logged: on an idle 2-core host a key
// suspension arrives in about 1 ms and a policy activation decides in about 75 ms
// (the other node loads only the policy that changed); the bound leaves room for a
// CI host under a load average of 30.
const (
	keyBound    = 3 * time.Second
	policyBound = 3 * time.Second
)

// unknownConv is a conversation id that does not exist: a chat on it is admitted
// (it counts against the key's limits) and then answered 404, with no CLI turn.
const unknownConv = "00000000-0000-4000-8000-000000000000"

// TestClusterLimitsAndChanges: one tenant grain per key in the whole cluster
// (rpm = 4 holds across three nodes), and key and policy changes made through one
// node reach the others within a second (cluster broadcast, not the store
// fallback's 5–10 s).
func TestClusterLimitsAndChanges(t *testing.T) {
	c := startTestCluster(t, 3)
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]

	t.Run("rpm across nodes", func(t *testing.T) {
		_, key := c.newKey(a, map[string]any{"usage_limit": map[string]any{"requests_per_minute": 4}})
		for i, n := range []*clusterNode{a, b, cc, a} {
			if status, r := c.chat(n, key, unknownConv, "hi"); status != http.StatusNotFound {
				t.Fatalf("request %d through %s: %d %s", i+1, n.name, status, r.raw)
			}
		}
		status, r := c.chat(b, key, unknownConv, "hi")
		if status != http.StatusTooManyRequests {
			t.Fatalf("fifth request through %s: %d %s, want 429", b.name, status, r.raw)
		}
	})

	t.Run("key suspension", func(t *testing.T) {
		id, key := c.newKey(a, map[string]any{})
		if status, r := c.chat(cc, key, unknownConv, "hi"); status != http.StatusNotFound { // cached on C now
			t.Fatalf("before suspension: %d %s", status, r.raw)
		}
		c.do(a, "PUT", "/admin/api-keys/"+id, c.admin, map[string]any{"status": "suspended"}, http.StatusOK, nil)
		took := pollUntil(t, keyBound, "suspension reaches C", func() bool {
			status, _ := c.chat(cc, key, unknownConv, "hi")
			return status == http.StatusUnauthorized || status == http.StatusForbidden
		})
		t.Logf("key suspension through A refused on C after %s", took)
	})

	t.Run("SIGTERM under load", func(t *testing.T) {
		sigtermUnderLoad(t, c)
	})
	// The policy test runs on the two nodes left.
	var live []*clusterNode
	for _, n := range c.nodes {
		select {
		case <-n.exited:
		default:
			live = append(live, n)
		}
	}
	a, cc = live[0], live[1]

	t.Run("policy activation", func(t *testing.T) {
		wasm, err := os.ReadFile(filepath.Join("..", "..", "policies", "bundled", "timewindow.wasm"))
		if err != nil {
			t.Fatal(err)
		}
		// Keys whose tenant grains are spread over the nodes: the policy decides
		// wherever a key's grain lives.
		var keys []string
		for range 4 {
			_, k := c.newKey(a, map[string]any{})
			if status, r := c.chat(cc, k, unknownConv, "hi"); status != http.StatusNotFound {
				t.Fatalf("before activation: %d %s", status, r.raw)
			}
			keys = append(keys, k)
		}
		closed := fmt.Sprintf(`{"allowed_hours_utc":"%d"}`, (time.Now().UTC().Hour()+12)%24)
		c.do(a, "POST", "/admin/policies", c.admin, map[string]any{"name": "window", "wasm": wasm, "config": json.RawMessage(closed)}, http.StatusCreated, nil)
		// An admin's dry run on every node compiles the module there (wazero's
		// cache), as the activation will.
		for _, n := range live {
			c.do(n, "POST", "/admin/policies/window/test", c.admin, map[string]any{"version": 1, "input": json.RawMessage(`{}`)}, http.StatusOK, nil)
		}
		c.do(a, "POST", "/admin/policies/window/activate", c.admin, map[string]any{"version": 1}, http.StatusOK, nil)
		took := pollUntil(t, policyBound, "the activation decides on C", func() bool {
			for _, k := range keys {
				if _, r := c.chat(cc, k, unknownConv, "hi"); !strings.Contains(r.raw, `"code":"outside_time_window"`) {
					return false
				}
			}
			return true
		})
		t.Logf("policy activation through A decides on C after %s", took)
	})
}

// processesByNode maps each node's name to the conversations its CLI processes
// serve, as the first running node's GET /admin/processes lists them (it covers
// the cluster); every node must answer.
func (c *testCluster) processesByNode() map[string][]string {
	out := map[string][]string{}
	for _, n := range c.nodes {
		select {
		case <-n.exited:
			continue
		default:
		}
		var st clusterProcesses
		c.do(n, "GET", "/admin/processes", c.admin, nil, http.StatusOK, &st)
		for _, m := range st.Nodes {
			if m.Status != "ok" {
				c.t.Fatalf("/admin/processes on %s: %s is %s (%s)", n.name, m.Node, m.Status, m.Error)
			}
		}
		for _, p := range st.Processes {
			out[p.Node] = append(out[p.Node], p.ConversationID)
		}
		return out
	}
	return out
}

// sigtermUnderLoad: SIGTERM of a node while turns of its conversations run for
// callers on another node: the node leaves, drains those turns (they all
// succeed), releases its leases and exits with no CLI left; its conversations
// continue on the others with their history; every request has exactly one usage
// event.
func sigtermUnderLoad(t *testing.T, c *testCluster) {
	id, key := c.newKey(c.nodes[0], map[string]any{})
	var convs []string
	for i := range 3 {
		status, r := c.chat(c.nodes[i%3], key, "", fmt.Sprintf("conversation %d", i))
		if status != http.StatusOK {
			t.Fatalf("new conversation: %d %s", status, r.raw)
		}
		convs = append(convs, r.ConversationID)
	}
	requests := 3
	owned := c.processesByNode()
	var victim, entry *clusterNode
	for _, n := range c.nodes {
		if victim == nil || len(owned[n.name]) > len(owned[victim.name]) {
			victim = n
		}
	}
	for _, n := range c.nodes {
		if n != victim {
			entry = n
			break
		}
	}
	t.Logf("%s runs %d of the 3 conversations; turns enter through %s", victim.name, len(owned[victim.name]), entry.name)

	chunks := make([]string, 12)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("w%d ", i)
	}
	c.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: chunks, ChunkDelay: 120 * time.Millisecond}
	})
	defer c.fake.SetReply(nil)
	before := len(c.fake.Requests())
	type result struct {
		status int
		r      chatReply
	}
	results := make(chan result, len(convs))
	for _, conv := range convs {
		go func() {
			status, r := c.chat(entry, key, conv, "slow turn")
			results <- result{status, r}
		}()
	}
	requests += len(convs)
	pollUntil(t, 20*time.Second, "the slow turns reach the API", func() bool { return len(c.fake.Requests()) >= before+len(convs) })
	if err := victim.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for range convs {
		res := <-results
		if res.status != http.StatusOK || res.r.Content != strings.Join(chunks, "") {
			t.Errorf("a turn running during the SIGTERM: %d %s", res.status, res.r.raw)
		}
	}
	select {
	case <-victim.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not exit after SIGTERM", victim.name)
	}
	if pids := cliProcessesUnder(victim.data); len(pids) > 0 {
		t.Errorf("CLI processes %v outlived %s", pids, victim.name)
	}
	c.fake.SetReply(nil)
	for _, conv := range convs {
		status, r := c.chat(entry, key, conv, "after the drain")
		requests++
		if status != http.StatusOK {
			t.Fatalf("a conversation of the stopped node: %d %s", status, r.raw)
		}
		if h := lastHistory(c.fake); !hasAll(h, "slow turn", "after the drain") {
			t.Errorf("history after the move: %q", h)
		}
	}
	st, err := store.Open(t.Context(), c.db, "")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var n int
	pollUntil(t, 10*time.Second, "every usage event is written", func() bool {
		_, n, err = st.ListUsageEvents(t.Context(), store.UsageFilter{APIKeyID: id, Limit: 1})
		return err == nil && n >= requests
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would be written by now
	if _, n, _ = st.ListUsageEvents(t.Context(), store.UsageFilter{APIKeyID: id, Limit: 1}); n != requests {
		t.Errorf("%d usage events for %d requests", n, requests)
	}
}

// TestFalselySuspectedNodeRejoins: a node that stops answering for longer than
// failure detection allows (SIGSTOP stands for a paused VM) is declared dead while
// it still runs. When it resumes it learns so, shuts down as for SIGTERM (no CLI
// process of its old self survives) and starts again in the same process, on the
// same address, under a new member id; the cluster takes it back, and a
// conversation continues through it with its history.
func TestFalselySuspectedNodeRejoins(t *testing.T) {
	c := startTestCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	_, key := c.newKey(a, map[string]any{})
	status, r := c.chat(b, key, "", "before the pause")
	if status != http.StatusOK {
		t.Fatalf("first turn: %d %s", status, r.raw)
	}
	conv := r.ConversationID
	oldID := c.memberOf(a, b.name).ID

	if err := b.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = b.cmd.Process.Signal(syscall.SIGCONT)
		}
	}()
	took := pollUntil(t, 30*time.Second, "a declares the paused b dead", func() bool {
		return c.memberOf(a, b.name).Status == "dead"
	})
	t.Logf("paused node declared dead after %s", took)
	if err := b.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	resumed := time.Now()

	took = pollUntil(t, 60*time.Second, "b rejoins under a new member id", func() bool {
		m := c.memberOf(a, b.name)
		return m.Status == "alive" && m.ID != oldID
	})
	t.Logf("resumed node alive again under a new member id after %s", took)
	select {
	case <-b.exited:
		t.Fatalf("b exited instead of rejoining:\n%s", b.logs)
	default:
	}
	if !strings.Contains(b.logs.String(), "restarting the node to rejoin the cluster") {
		t.Errorf("b's log does not say why it restarted")
	}
	pollUntil(t, 30*time.Second, "b is ready", func() bool {
		status, _ := c.call(b, "GET", "/readyz", "", nil)
		return status == http.StatusOK
	})
	status, r = c.chat(b, key, conv, "after the rejoin")
	if status != http.StatusOK {
		t.Fatalf("turn through the rejoined node: %d %s", status, r.raw)
	}
	if h := lastHistory(c.fake); !hasAll(h, "before the pause", "after the rejoin") {
		t.Fatalf("the turn after the rejoin sent history %q", h)
	}
	if pids := cliProcessesUnder(b.data); len(pids) > 1 {
		t.Errorf("b runs %d CLI processes after its restart: its old self left some", len(pids))
	}
	t.Logf("first turn through the rejoined node done %s after SIGCONT", time.Since(resumed))
}

// memberOf is the newest member named node in n's view of the cluster.
func (c *testCluster) memberOf(n *clusterNode, node string) (m struct {
	ID, Node, Status string
	JoinedAt         time.Time `json:"joined_at"`
}) {
	c.t.Helper()
	var st struct {
		Members []struct {
			ID, Node, Status string
			JoinedAt         time.Time `json:"joined_at"`
		}
	}
	c.do(n, "GET", "/admin/cluster", c.admin, nil, http.StatusOK, &st)
	for _, x := range st.Members {
		if x.Node == node && !x.JoinedAt.Before(m.JoinedAt) {
			m = x
		}
	}
	return m
}

// checkCrossNodeTraces: a turn sent through a node other than the conversation's
// owner is one trace over both nodes: the entry node's HTTP span joins the
// client's trace, and the owner's turn span (with its queue wait and CLI spans)
// is a child of a span the entry node exported.
func checkCrossNodeTraces(t *testing.T, recv *otlpReceiver, turns []chatReply, owner string) {
	t.Helper()
	crossed := 0
	for _, r := range turns {
		if r.entry == owner {
			continue
		}
		crossed++
		var spans map[*tracepb.Span]string
		var httpSpan, turn *tracepb.Span
		testkit.Eventually(t, 15*time.Second, "the spans of the turn through "+r.entry, func() bool {
			spans = recv.inTrace(r.traceID)
			httpSpan, turn = nil, nil
			for s := range spans {
				switch {
				case s.Name == "POST /api/chat":
					httpSpan = s
				case s.Name == "ccgateway.turn":
					turn = s
				}
			}
			return httpSpan != nil && turn != nil
		})
		if spans[httpSpan] != r.entry || spans[turn] != owner {
			t.Errorf("turn through %s: the HTTP span came from %q and the turn span from %q, want %s and %s",
				r.entry, spans[httpSpan], spans[turn], r.entry, owner)
		}
		parent := hex.EncodeToString(turn.ParentSpanId)
		var parentNode string
		for s, node := range spans {
			if hex.EncodeToString(s.SpanId) == parent {
				parentNode = node
			}
		}
		if parentNode != r.entry {
			t.Errorf("turn through %s: the owner's turn span has parent %s exported by %q, want a span of the entry node", r.entry, parent, parentNode)
		}
		t.Logf("turn through %s, run on %s: %d spans in trace %s", r.entry, owner, len(spans), r.traceID)
	}
	if crossed == 0 {
		t.Fatal("no turn crossed nodes")
	}
}
