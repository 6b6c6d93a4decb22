package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

var tokenRE = regexp.MustCompile(`token=(\w+)`)

// historyToken answers with the token of the conversation's first user message,
// so an answer proves which history the CLI sent.
func historyToken(r *testkit.Request) testkit.Reply {
	for _, m := range r.Messages {
		if t := tokenRE.FindStringSubmatch(m.Text); m.Role == "user" && t != nil {
			return testkit.Reply{Text: "token " + t[1]}
		}
	}
	return testkit.Reply{Text: "no token"}
}

func (g *gateway) chatOK(key string, body api.ChatRequest) api.ChatResponse {
	g.t.Helper()
	resp, b := g.do(context.Background(), "POST", "/api/chat", key, body)
	if resp.StatusCode != 200 {
		g.t.Fatalf("chat: %d %s", resp.StatusCode, b)
	}
	var out api.ChatResponse
	if err := json.Unmarshal(b, &out); err != nil {
		g.t.Fatal(err)
	}
	return out
}

func TestParallelConversationsKeepTheirOwnHistory(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	g.fake.SetReply(historyToken)
	key, _ := g.newKey(store.KeyActive)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := fmt.Sprintf("T%02d", i)
			first := g.chatOK(key, api.ChatRequest{Message: "remember token=" + tok})
			second := g.chatOK(key, api.ChatRequest{Message: "which token?", ConversationID: first.ConversationID})
			if second.Content != "token "+tok || second.ConversationID != first.ConversationID {
				t.Errorf("conversation %d: %+v", i, second)
			}
		}()
	}
	wg.Wait()
}

func TestConversationLifecycleAndIsolation(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	g.fake.SetReply(historyToken)
	key, k := g.newKey(store.KeyActive)
	other, _ := g.newKey(store.KeyActive)
	resp, b := g.do(context.Background(), "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "t", Metadata: map[string]string{"a": "b"}, SystemPrompt: "Be brief."})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	var conv tenant.Conversation
	_ = json.Unmarshal(b, &conv)
	path := "/api/conversations/" + conv.ID
	if loc := resp.Header.Get("Location"); loc != path {
		t.Errorf("Location %q, want %q", loc, path)
	}
	resp, b = g.do(context.Background(), "POST", path+"/continue", key, api.ChatRequest{Message: "token=abc"})
	if resp.StatusCode != 200 {
		t.Fatalf("continue: %d %s", resp.StatusCode, b)
	}
	var detail tenant.ConversationDetail
	_, b = g.do(context.Background(), "GET", path, key, nil)
	_ = json.Unmarshal(b, &detail)
	if len(detail.Messages) != 2 || detail.Messages[1].Usage == nil || detail.Messages[1].Content != "token abc" || detail.Title != "t" {
		t.Fatalf("detail %s", b)
	}
	var list tenant.ConversationList
	_, b = g.do(context.Background(), "GET", "/api/conversations", key, nil)
	_ = json.Unmarshal(b, &list)
	if list.Total != 1 || list.Items[0].ID != conv.ID {
		t.Fatalf("list %s", b)
	}
	for _, c := range []struct{ method, path string }{{"GET", path}, {"POST", path + "/continue"}, {"DELETE", path}} {
		resp, b := g.do(context.Background(), c.method, c.path, other, api.ChatRequest{Message: "hi"})
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("other key %s %s: %d %s", c.method, c.path, resp.StatusCode, b)
		}
	}
	resp, b = g.do(context.Background(), "POST", "/api/chat", other, api.ChatRequest{Message: "hi", ConversationID: conv.ID})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("other key's chat continue: %d %s", resp.StatusCode, b)
	}
	resp, b = g.do(context.Background(), "DELETE", path, key, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d %s", resp.StatusCode, b)
	}
	if _, err := g.st.GetTranscript(context.Background(), conv.ID); err == nil {
		t.Error("transcript row left")
	}
	if msgs, _ := g.st.ListMessages(context.Background(), conv.ID); len(msgs) != 0 {
		t.Error("message rows left")
	}
	if resp, _ := g.do(context.Background(), "GET", path, key, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET after delete: %d", resp.StatusCode)
	}
	assertNoSessionFiles(t, g.dir, k.ID)
	if n := len(g.system().Processes()); n != 0 {
		t.Errorf("%d processes after delete", n)
	}
}

// assertNoSessionFiles fails if the key's CLI config dir holds any transcript.
func assertNoSessionFiles(t *testing.T, dir, keyID string) {
	t.Helper()
	_ = filepath.WalkDir(filepath.Join(dir, "tenants", keyID, "claude", "projects"), func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".jsonl") {
			t.Errorf("session file left: %s", p)
		}
		return nil
	})
}

func TestResumeAfterPassivationAndRestart(t *testing.T) {
	t.Parallel()
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.IdleTTL = 300 * time.Millisecond })
	g.fake.SetReply(historyToken)
	key, k := g.newKey(store.KeyActive)
	first := g.chatOK(key, api.ChatRequest{Message: "remember token=P1"})
	pid := waitForProcess(t, g)
	// Passivation ends the process; the next turn resumes with history.
	assertGone(t, pid, 3*time.Second)
	if got := g.chatOK(key, api.ChatRequest{Message: "again?", ConversationID: first.ConversationID}); got.Content != "token P1" {
		t.Fatalf("after passivation: %+v", got)
	}
	// A restart with the CLI's session files gone: the transcript comes from the store.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := g.node().Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(g.dir, "tenants", k.ID, "claude", "projects")); err != nil {
		t.Fatal(err)
	}
	g.restart()
	got := g.chatOK(key, api.ChatRequest{Message: "and now?", ConversationID: first.ConversationID})
	if got.Content != "token P1" {
		t.Fatalf("after restart: %+v", got)
	}
	reqs := g.fake.Requests()
	last := reqs[len(reqs)-1]
	if len(last.Messages) < 5 {
		t.Fatalf("the resumed request carried %d messages, want the earlier turns", len(last.Messages))
	}
}
