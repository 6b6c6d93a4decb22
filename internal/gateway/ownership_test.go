package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestForeignTurnsAreRefusedBeforeQueueing replays issue 13 item 4: key B's
// continue on key A's running conversation got 200 + queued and a 404 seconds
// later; nine of them made A's own next turn 429 conversation_busy, and the timing
// told B the conversation existed. Ownership is checked before anything is queued:
// every transport answers B 404 at once, while A's turn runs, and A's next turn
// still queues normally.
func TestForeignTurnsAreRefusedBeforeQueueing(t *testing.T) {
	g := newGateway(t)
	g.fake.SetReply(func(r *testkit.Request) testkit.Reply {
		if strings.Contains(r.LastUserText(), "slow") {
			return testkit.Reply{Text: "slow", FirstByteDelay: 4 * time.Second}
		}
		return testkit.Reply{Text: "ok"}
	})
	keyA, _ := g.newKey(store.KeyActive)
	keyB, _ := g.newKey(store.KeyActive)
	ctx := context.Background()
	resp, b := g.do(ctx, "POST", "/api/chat", keyA, api.ChatRequest{Message: "first"})
	if resp.StatusCode != 200 {
		t.Fatalf("A's first turn: %d %s", resp.StatusCode, b)
	}
	conv := decode[api.ChatResponse](t, b).ConversationID

	// A's slow turn runs while B tries.
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if resp, b := g.do(ctx, "POST", "/api/conversations/"+conv+"/continue", keyA, api.ChatRequest{Message: "slow"}); resp.StatusCode != 200 {
			t.Errorf("A's slow turn: %d %s", resp.StatusCode, b)
		}
	}()
	time.Sleep(300 * time.Millisecond)

	quick := func(what string, start time.Time) {
		t.Helper()
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s answered after %v: the turn waited", what, d)
		}
	}
	for range 10 { // more than conversation-queue (8)
		start := time.Now()
		resp, b := g.do(ctx, "POST", "/api/conversations/"+conv+"/continue", keyB, api.ChatRequest{Message: "mine?"})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("B's REST continue: %d %s", resp.StatusCode, b)
		}
		quick("B's REST continue", start)
	}
	start := time.Now()
	resp, b = g.do(ctx, "POST", "/api/conversations/"+conv+"/continue", keyB, api.ChatRequest{Message: "mine?", Stream: true})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(string(b), "queued") {
		t.Fatalf("B's SSE continue: %d %s", resp.StatusCode, b)
	}
	quick("B's SSE continue", start)

	req, _ := http.NewRequest("POST", g.srv.URL+"/v1/chat/completions", strings.NewReader(
		`{"model":"sonnet","messages":[{"role":"user","content":"mine?"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+keyB)
	req.Header.Set("X-Conversation-Id", conv)
	start = time.Now()
	hr, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if hr.StatusCode != http.StatusNotFound {
		t.Fatalf("B's compatible continue: %d", hr.StatusCode)
	}
	quick("B's compatible continue", start)

	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	c, _, err := websocket.Dial(wctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"x-api-key": {keyB}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	start = time.Now()
	if err := wsjson.Write(wctx, c, map[string]any{"type": "chat", "id": "x", "conversation_id": conv, "message": "mine?"}); err != nil {
		t.Fatal(err)
	}
	for {
		var m tenant.WSOut
		if err := wsjson.Read(wctx, c, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == "queued" {
			t.Fatalf("B's WebSocket turn was queued: %+v", m)
		}
		if m.Type == "error" {
			if m.Error == nil || m.Error.Status != http.StatusNotFound {
				raw, _ := json.Marshal(m)
				t.Fatalf("B's WebSocket chat: %s", raw)
			}
			break
		}
	}
	quick("B's WebSocket chat", start)

	// A's own next turn queues behind its running one, as before.
	if resp, b := g.do(ctx, "POST", "/api/conversations/"+conv+"/continue", keyA, api.ChatRequest{Message: "after"}); resp.StatusCode != 200 {
		t.Fatalf("A's next turn: %d %s", resp.StatusCode, b)
	}
	wg.Wait()
}
