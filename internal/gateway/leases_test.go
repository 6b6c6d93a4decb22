package gateway

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// peer is a second gateway node: its own actor system and data dir on g's store.
type peer struct {
	n   *Node
	url string
}

func (g *gateway) secondNode(t *testing.T) *peer {
	t.Helper()
	cfg := *g.cfg
	cfg.DataDir = t.TempDir()
	n := g.startNode(&cfg)
	srv := g.serve(n)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.Shutdown(ctx)
		srv.Close()
	})
	return &peer{n: n, url: srv.URL}
}

// chat continues conv on n and returns the status, body and Retry-After.
func (n *peer) chat(t *testing.T, key, conv, msg string) (int, []byte, string) {
	t.Helper()
	body, _ := json.Marshal(api.ChatRequest{Message: msg, ConversationID: conv})
	req, _ := http.NewRequest("POST", n.url+"/api/chat", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header.Get("Retry-After")
}

// TestLeaseFencesASecondNode: while node 1 holds a conversation's lease, node 2
// (same store, own data dir) refuses its turns with 503 and Retry-After; once
// node 1 releases the lease (passivation), node 2 runs the turn with the history,
// and node 1 later resumes from the store, including node 2's turn.
func TestLeaseFencesASecondNode(t *testing.T) {
	const idle = 1500 * time.Millisecond
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.IdleTTL = idle })
	g.fake.SetReply(historyToken)
	key, _ := g.newKey(store.KeyActive)
	first := g.chatOK(key, api.ChatRequest{Message: "remember token=N1"})
	conv := first.ConversationID
	n2 := g.secondNode(t)

	status, body, retry := n2.chat(t, key, conv, "mine now?")
	if status != http.StatusServiceUnavailable || retry != "30" || !strings.Contains(string(body), api.CodeOwnedElsewhere) {
		t.Fatalf("node 2 under node 1's lease: %d retry=%q %s", status, retry, body)
	}
	if n := len(n2.n.System().Processes()); n != 0 {
		t.Fatalf("node 2 started %d CLI processes without the lease", n)
	}

	// Node 1 passivates and releases; node 2 restores the transcript and resumes.
	var got api.ChatResponse
	for deadline := time.Now().Add(10 * idle); ; time.Sleep(100 * time.Millisecond) {
		status, body, _ = n2.chat(t, key, conv, "which token?")
		if status == http.StatusOK {
			got = decode[api.ChatResponse](t, body)
			break
		}
		if status != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("node 2 after node 1's release: %d %s", status, body)
		}
	}
	if got.Content != "token N1" {
		t.Fatalf("node 2 answered %q, want the history's token", got.Content)
	}

	// And back: node 1's local session file is stale (it lacks node 2's turn), so
	// it must resume from the store: the request carries both earlier turns.
	for deadline := time.Now().Add(10 * idle); ; time.Sleep(100 * time.Millisecond) {
		resp, b := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "and now?", ConversationID: conv})
		if resp.StatusCode == http.StatusOK {
			if c := decode[api.ChatResponse](t, b).Content; c != "token N1" {
				t.Fatalf("node 1 answered %q", c)
			}
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("node 1 after node 2's release: %d %s", resp.StatusCode, b)
		}
	}
	reqs := g.fake.Requests()
	// Measured: 8 messages from the store's transcript, 4 from node 1's stale file.
	if last := reqs[len(reqs)-1]; len(last.Messages) < 6 {
		t.Fatalf("node 1's resumed request carried %d messages: it lacks node 2's turn", len(last.Messages))
	}
}
