package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store/storetest"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// clusterNode is one `ccgateway serve` process of a test cluster.
type clusterNode struct {
	name   string
	cmd    *exec.Cmd
	base   string // http://host:port
	gossip string
	data   string
	logs   *testkit.SyncBuffer
	exited chan struct{}
}

// testCluster is three (or more) gateway processes on loopback sharing one
// PostgreSQL schema, the real CLI and one fake Anthropic API.
type testCluster struct {
	t     *testing.T
	fake  *testkit.FakeAPI
	db    string
	env   []string
	nodes []*clusterNode
	admin string // an admin token (any node's: the JWT secret is shared)
}

const clusterAdminPassword = "cluster-admin-pw"

// startTestCluster starts n nodes; the second and later join the first.
func startTestCluster(t *testing.T, n int, extra ...string) *testCluster {
	t.Helper()
	return startTestClusterEnv(t, n, nil, extra...)
}

// startTestClusterEnv is startTestCluster with env added to every node's
// environment.
func startTestClusterEnv(t *testing.T, n int, env []string, extra ...string) *testCluster {
	t.Helper()
	c := &testCluster{t: t, fake: testkit.NewFakeAPI(t), db: storetest.PostgresURL(t)}
	c.env = baseEnv(c.fake, append([]string{"CCGATEWAY_CLAUDE_PATH=" + testkit.ClaudePath(t), "CCGATEWAY_DATABASE_URL=" + c.db,
		"CCGATEWAY_ADMIN_PASSWORD=" + clusterAdminPassword, "CCGATEWAY_JWT_SECRET=" + strings.Repeat("j", 32)}, env...)...)
	// The first node migrates the schema alone; the others start together.
	a := c.startNode("node-a", "", "", extra...)
	c.nodes = append(c.nodes, a)
	var wg sync.WaitGroup
	rest := make([]*clusterNode, n-1)
	for i := range rest {
		// The others start from a's compiled policies (wazero's compilation cache):
		// compiling them again costs seconds on a loaded host.
		wg.Go(func() {
			rest[i] = c.startNode(fmt.Sprintf("node-%c", 'b'+i), a.gossip, filepath.Join(a.data, "policy-cache"), extra...)
		})
	}
	wg.Wait()
	c.nodes = append(c.nodes, rest...)
	c.admin = c.login(c.nodes[0])
	c.waitMembers(n)
	return c
}

// startNode runs one node and waits for /healthz; join is the gossip address of a
// node to join ("" for the first).
func (c *testCluster) startNode(name, join, policyCache string, extra ...string) *clusterNode {
	t := c.t
	n := &clusterNode{name: name, gossip: freeAddr(t), data: t.TempDir(), logs: &testkit.SyncBuffer{}, exited: make(chan struct{})}
	if policyCache != "" {
		if err := os.CopyFS(filepath.Join(n.data, "policy-cache"), os.DirFS(policyCache)); err != nil {
			t.Fatal(err)
		}
	}
	addr := freeAddr(t)
	n.base = "http://" + addr
	args := []string{"serve", "--listen", addr, "--data-dir", n.data, "--node-name", name, "--cluster-gossip", n.gossip,
		"--prewarm", "0", "--shutdown-timeout", "10s", "--usage-flush-interval", "100ms", "--log-level", "info"}
	if join != "" {
		args = append(args, "--cluster-join", join)
	}
	n.cmd = exec.Command(binary(t), append(args, extra...)...)
	n.cmd.Env = c.env
	n.cmd.Stderr = n.logs
	if err := n.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = n.cmd.Wait(); close(n.exited) }()
	t.Cleanup(func() {
		n.stop()
		for _, pid := range cliProcessesUnder(n.data) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", name, n.logs)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(n.base + "/healthz"); err == nil {
			resp.Body.Close()
			return n
		}
		select {
		case <-n.exited:
			t.Fatalf("%s exited at start:\n%s", name, n.logs)
		default:
		}
	}
	t.Fatalf("%s did not come up:\n%s", name, n.logs)
	return nil
}

// stop sends SIGTERM and waits for the exit (SIGKILL after 20 s).
func (n *clusterNode) stop() {
	select {
	case <-n.exited:
		return
	default:
	}
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.exited:
	case <-time.After(20 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.exited
	}
}

// kill ends the node with SIGKILL, as a crash would.
func (n *clusterNode) kill() {
	_ = n.cmd.Process.Kill()
	<-n.exited
}

func (c *testCluster) login(n *clusterNode) string {
	var out struct{ Token string }
	c.do(n, "POST", "/admin/login", "", map[string]string{"username": "admin", "password": clusterAdminPassword}, http.StatusOK, &out)
	return out.Token
}

// do sends a JSON request and decodes the answer, failing unless its status is want.
func (c *testCluster) do(n *clusterNode, method, path, token string, body, want any, out any) {
	c.t.Helper()
	status, raw := c.call(n, method, path, token, body)
	if w, ok := want.(int); ok && status != w {
		c.t.Fatalf("%s %s on %s: %d, want %d: %s", method, path, n.name, status, w, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, raw)
		}
	}
}

func (c *testCluster) call(n *clusterNode, method, path, token string, body any) (int, []byte) {
	c.t.Helper()
	return c.callWith(n, method, path, token, body, nil)
}

// callWith is call with extra request headers.
func (c *testCluster) callWith(n *clusterNode, method, path, token string, body any, hdr map[string]string) (int, []byte) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, n.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, []byte(err.Error())
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// waitMembers waits until every running node sees want alive members.
func (c *testCluster) waitMembers(want int) {
	c.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for _, n := range c.nodes {
		select {
		case <-n.exited:
			continue
		default:
		}
		for {
			var st struct {
				Members []struct{ Status string }
			}
			c.do(n, "GET", "/admin/cluster", c.admin, nil, http.StatusOK, &st)
			alive := 0
			for _, m := range st.Members {
				if m.Status == "alive" {
					alive++
				}
			}
			if alive == want {
				break
			}
			if time.Now().After(deadline) {
				c.t.Fatalf("%s sees %d alive members, want %d", n.name, alive, want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// newKey creates an API key through node n; limits go in usage_limit.
func (c *testCluster) newKey(n *clusterNode, body map[string]any) (id, secret string) {
	c.t.Helper()
	if body["name"] == nil {
		body["name"] = "k"
	}
	var k struct{ ID, Key string }
	c.do(n, "POST", "/admin/api-keys", c.admin, body, http.StatusCreated, &k)
	return k.ID, k.Key
}

// chat sends a non-streaming turn through n and returns status and body.
// chat sends one turn through n as a traced client would: with a W3C traceparent
// of a new trace, whose id the reply carries.
func (c *testCluster) chat(n *clusterNode, key, convID, msg string) (int, chatReply) {
	c.t.Helper()
	body := map[string]any{"message": msg}
	if convID != "" {
		body["conversation_id"] = convID
	}
	id := uuid.New()
	traceID := hex.EncodeToString(id[:])
	status, raw := c.callWith(n, "POST", "/api/chat", key, body,
		map[string]string{"traceparent": "00-" + traceID + "-00f067aa0ba902b7-01"})
	r := chatReply{entry: n.name, traceID: traceID}
	_ = json.Unmarshal(raw, &r)
	r.raw = string(raw)
	return status, r
}

type chatReply struct {
	ConversationID string `json:"conversation_id"`
	Content        string `json:"content"`
	raw            string
	entry          string // the node the turn was sent through
	traceID        string // the client's trace (hex)
}

// processOwners lists the nodes with a live CLI process in their data dir.
func (c *testCluster) processOwners() []string {
	var owners []string
	for _, n := range c.nodes {
		if len(cliProcessesUnder(n.data)) > 0 {
			owners = append(owners, n.name)
		}
	}
	return owners
}
