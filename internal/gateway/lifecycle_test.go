package gateway

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestFailedFirstChatLeavesNoConversation: a new chat whose first turn fails
// (upstream 401) leaves no empty conversation behind.
func TestFailedFirstChatLeavesNoConversation(t *testing.T) {
	t.Parallel()
	// The stream holds its headers until the first turn failed (a CLI spawn and
	// an upstream 401): on a loaded host that can take more than the default hold.
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.StreamHold = 20 * time.Second })
	key, k := g.newKey(store.KeyActive)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply { return testkit.Reply{Status: 401} })
	for _, stream := range []bool{false, true} {
		resp, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "hi", Stream: stream})
		if resp.StatusCode != http.StatusBadGateway {
			t.Fatalf("stream=%v: %d %s", stream, resp.StatusCode, body)
		}
	}
	_, b := g.do(context.Background(), "GET", "/api/conversations", key, nil)
	if list := decode[tenant.ConversationList](t, b); list.Total != 0 || len(list.Items) != 0 {
		t.Fatalf("conversations after failed first chats: %s", b)
	}
	assertNoSessionFiles(t, g.dir, k.ID)
}

// TestDeleteKeyEndsItsProcessesAndRemovesItsDirectory: deleting a key stops its
// conversations' CLI processes and removes data/tenants/<key id>.
func TestDeleteKeyEndsItsProcessesAndRemovesItsDirectory(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, k := g.newKey(store.KeyActive)
	g.chatOK(key, api.ChatRequest{Message: "hi"})
	pid := waitForProcess(t, g)
	dir := filepath.Join(g.dir, "tenants", k.ID)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("no tenant dir before the delete: %v", err)
	}
	if r, b := g.do(context.Background(), "DELETE", "/admin/api-keys/"+k.ID, g.adminToken(), nil); r.StatusCode != http.StatusNoContent {
		t.Fatalf("delete key: %d %s", r.StatusCode, b)
	}
	assertGone(t, pid, 3*time.Second)
	if n := len(g.system().Processes()); n != 0 {
		t.Errorf("%d processes after the key's delete", n)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("tenant dir left: %v", err)
	}
}

// TestSweeperRemovesDirectoriesOfDeletedKeys: a tenant dir whose key no longer
// exists (deleted while the node was down) is removed; a live key's dir stays.
func TestSweeperRemovesDirectoriesOfDeletedKeys(t *testing.T) {
	// conversation-retention stays 0 (the default): the directory sweep runs anyway.
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.RetentionInterval = time.Second })
	_, k := g.newKey(store.KeyActive)
	orphan := filepath.Join(g.dir, "tenants", uuid.NewString(), "claude")
	kept := filepath.Join(g.dir, "tenants", k.ID, "work")
	for _, d := range []string{orphan, kept} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if _, err := os.Stat(filepath.Dir(orphan)); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the deleted key's directory was never swept")
		}
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("a live key's directory was removed: %v", err)
	}
}

// TestProcessKilledBetweenTurnsIsReplaced: a CLI process that died while idle
// (SIGKILL) is replaced with --resume, and the next turn keeps the history.
func TestProcessKilledBetweenTurnsIsReplaced(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	g.fake.SetReply(historyToken)
	key, _ := g.newKey(store.KeyActive)
	first := g.chatOK(key, api.ChatRequest{Message: "remember token=K1"})
	pid := waitForProcess(t, g)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	assertGone(t, pid, 3*time.Second)
	got := g.chatOK(key, api.ChatRequest{Message: "which token?", ConversationID: first.ConversationID})
	if got.Content != "token K1" {
		t.Fatalf("after the kill: %+v", got)
	}
	if ps := g.system().Processes(); len(ps) != 1 || ps[0].PID == pid {
		t.Errorf("processes after the turn: %+v", ps)
	}
}

// TestDeleteConversationDuringItsTurn: the caller of a turn whose conversation is
// deleted meanwhile gets 404 not_found.
func TestDeleteConversationDuringItsTurn(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	resp, b := g.do(context.Background(), "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "doomed"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	conv := decode[tenant.Conversation](t, b)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply { return testkit.Reply{Chunks: []string{"a ", "b"}, Stall: true} })
	type answer struct {
		status int
		body   []byte
	}
	done := make(chan answer, 1)
	go func() {
		resp, b := g.do(context.Background(), "POST", "/api/conversations/"+conv.ID+"/continue", key, api.ChatRequest{Message: "go"})
		done <- answer{resp.StatusCode, b}
	}()
	waitForProcess(t, g)
	if resp, b := g.do(context.Background(), "DELETE", "/api/conversations/"+conv.ID, key, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	select {
	case a := <-done:
		if p := decode[api.Problem](t, a.body); a.status != http.StatusNotFound || p.Code != api.CodeNotFound {
			t.Fatalf("the turn's caller got %d %s, want 404 %s", a.status, a.body, api.CodeNotFound)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the turn did not end")
	}
}

// TestTimedOutTurnRecordsItsUsage: a turn cut off by its deadline after the API
// answered in part is recorded with the tokens and cost the CLI reported.
func TestTimedOutTurnRecordsItsUsage(t *testing.T) {
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.TurnTimeout = 3 * time.Second })
	key, k := g.newKey(store.KeyActive)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: strings.Split(strings.Repeat("x ", 50), " "), ChunkDelay: 200 * time.Millisecond,
			Usage: testkit.Usage{InputTokens: 111, OutputTokens: 22}}
	})
	resp, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "slow"})
	if p := decodeProblem(t, resp, body); resp.StatusCode != http.StatusGatewayTimeout || p.Code != api.CodeTimeout {
		t.Fatalf("got %d %s, want 504 %s", resp.StatusCode, body, api.CodeTimeout)
	}
	testkit.Eventually(t, 10*time.Second, "the timed-out turn's usage record", func() bool { return len(g.usageOf(k.ID)) > 0 })
	for _, ev := range g.usage.all() {
		if ev.APIKeyID == k.ID && ev.Endpoint == "/api/chat" {
			if ev.StatusCode != http.StatusGatewayTimeout || ev.RequestTokens == 0 || ev.CostUSD <= 0 {
				t.Fatalf("usage record of the timed-out turn: %+v", ev)
			}
			return
		}
	}
	t.Fatal("no usage record for the chat")
}
