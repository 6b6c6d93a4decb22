package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestOneValidationForEveryTransport replays issue 13 items 8 and 9: WebSocket
// chats skipped the REST validation (max_tokens -5, temperature 5 and a 200 KB
// system prompt gave 500), and a system prompt with a NUL or over 128 KiB of
// bytes broke execve on every endpoint. One validation below the transports now
// refuses them with 400 invalid_request on REST, WebSocket and the compatible
// endpoints alike, and none reaches the CLI.
func TestOneValidationForEveryTransport(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	ctx := context.Background()
	big := strings.Repeat("漢", 100_000) // 300,000 bytes, 100,000 characters
	cases := []struct {
		name string
		ws   map[string]any
	}{
		{"negative max_tokens", map[string]any{"max_tokens": -5}},
		{"temperature 5", map[string]any{"temperature": 5}},
		{"200 KB system prompt", map[string]any{"system_prompt": strings.Repeat("a", 200_000)}},
		{"NUL in the system prompt", map[string]any{"system_prompt": "be terse\x00"}},
		{"300 KB of CJK", map[string]any{"system_prompt": big}},
	}

	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(wctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"x-api-key": {key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, tc := range cases {
		t.Run("websocket "+tc.name, func(t *testing.T) {
			msg := map[string]any{"type": "chat", "id": tc.name, "message": "hi"}
			for k, v := range tc.ws {
				msg[k] = v
			}
			if err := wsjson.Write(wctx, c, msg); err != nil {
				t.Fatal(err)
			}
			for {
				var m tenant.WSOut
				if err := wsjson.Read(wctx, c, &m); err != nil {
					t.Fatal(err)
				}
				if m.ID != tc.name {
					continue
				}
				if m.Type != "error" || m.Error == nil || m.Error.Status >= 500 {
					t.Fatalf("got %s %+v, want a client error", m.Type, m.Error)
				}
				break
			}
		})
	}

	// The REST endpoints (huma's schema catches some first: 422; the rest: 400).
	for _, tc := range cases {
		t.Run("rest "+tc.name, func(t *testing.T) {
			body := map[string]any{"message": "hi"}
			for k, v := range tc.ws {
				body[k] = v
			}
			for _, path := range []string{"/api/chat", "/api/conversations"} {
				resp, b := g.do(ctx, "POST", path, key, body)
				if resp.StatusCode != 400 && resp.StatusCode != 422 {
					t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
				}
			}
		})
	}

	// The compatible dialects carry the system prompt in their own fields.
	for _, sys := range []string{"be terse\x00", big} {
		resp, b := g.do(ctx, "POST", "/v1/chat/completions", key, map[string]any{
			"model": "sonnet", "messages": []map[string]string{{"role": "system", "content": sys}, {"role": "user", "content": "hi"}}})
		if resp.StatusCode != 400 {
			t.Fatalf("OpenAI system prompt of %d bytes: %d %.300s", len(sys), resp.StatusCode, b)
		}
		resp, b = g.do(ctx, "POST", "/v1/messages", key, map[string]any{
			"model": "sonnet", "max_tokens": 100, "system": sys, "messages": []map[string]string{{"role": "user", "content": "hi"}}})
		if resp.StatusCode != 400 {
			t.Fatalf("Anthropic system prompt of %d bytes: %d %.300s", len(sys), resp.StatusCode, b)
		}
	}
	if n := len(g.fake.AllRequests()); n != 0 {
		t.Fatalf("%d requests reached the API", n)
	}
}
