package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

func TestWebSocketMultiplexAndCancel(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	g.fake.SetReply(func(r *testkit.Request) testkit.Reply {
		if strings.Contains(r.LastUserText(), "stall") {
			return testkit.Reply{Chunks: []string{"partial "}, Stall: true}
		}
		rep := historyToken(r)
		rep.FirstByteDelay = 300 * time.Millisecond
		return rep
	})
	key, _ := g.newKey(store.KeyActive)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"

	// A browser-style first auth message.
	c, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	must := func(v any) {
		if err := wsjson.Write(ctx, c, v); err != nil {
			t.Fatal(err)
		}
	}
	must(map[string]any{"type": "auth", "api_key": key})
	must(map[string]any{"type": "chat", "id": "a", "message": "token=one"})
	must(map[string]any{"type": "chat", "id": "b", "message": "token=two"})
	must(map[string]any{"type": "chat", "id": "c", "message": "stall please", "stream": true})
	done := map[string]string{}
	var cErr *api.Problem
	sentCancel := false
	for len(done) < 2 || cErr == nil {
		var m tenant.WSOut
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("read: %v (done %v)", err, done)
		}
		switch {
		case m.Type == "done":
			done[m.ID] = m.Result.Content
		case m.Type == "delta" && m.ID == "c" && !sentCancel:
			sentCancel = true
			must(map[string]any{"type": "cancel", "id": "c"})
		case m.Type == "error" && m.ID == "c":
			cErr = m.Error
		case m.Type == "error":
			t.Fatalf("error for %s: %+v", m.ID, m.Error)
		}
	}
	if done["a"] != "token one" || done["b"] != "token two" {
		t.Fatalf("answers %v", done)
	}
	if cErr.Code != api.CodeCanceled {
		t.Fatalf("canceled request ended with %+v", cErr)
	}
	// Each chat on the socket leaves its own usage record.
	ids := map[string]bool{}
	waitUsage := time.Now().Add(5 * time.Second)
	for len(ids) < 3 && time.Now().Before(waitUsage) {
		for _, ev := range g.usage.all() {
			if ev.Endpoint == "/api/ws" && ev.Method == "WS" && ev.RequestID != "" {
				ids[ev.RequestID] = true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ids) != 3 {
		t.Fatalf("%d distinct WebSocket usage records, want 3: %+v", len(ids), g.usage.all())
	}

	// Header auth, and a bad key is refused before the upgrade.
	c2, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	if err != nil {
		t.Fatal(err)
	}
	_ = wsjson.Write(ctx, c2, map[string]any{"type": "ping", "id": "p"})
	var pong tenant.WSOut
	if err := wsjson.Read(ctx, c2, &pong); err != nil || pong.Type != "pong" {
		t.Fatalf("pong %+v %v", pong, err)
	}
	c2.CloseNow()
	if _, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"x-api-key": {"sk-ccg-nope"}}}); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad key: %v %v", resp, err)
	}
}

// TestWebSocketAppliesKeyRules checks that a socket passes the same key rules as
// REST: a key limited to other addresses is refused, by header and by first message.
func TestWebSocketAppliesKeyRules(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.AllowedIPs = []string{"203.0.113.0/24"} })
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	t.Run("header", func(t *testing.T) {
		_, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"x-api-key": {key}}})
		if err == nil || resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("dial: %v, response %v; want 403", err, resp)
		}
	})
	t.Run("first message", func(t *testing.T) {
		c, _, err := websocket.Dial(ctx, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if err := wsjson.Write(ctx, c, map[string]string{"type": "auth", "api_key": key}); err != nil {
			t.Fatal(err)
		}
		var m tenant.WSOut
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "error" || m.Error == nil || m.Error.Code != api.CodeIPNotAllowed {
			t.Fatalf("got %+v, want an ip_not_allowed error", m)
		}
	})
}

// TestWebSocketRechecksTheKey suspends a key while its socket is open: the next
// chat is refused and the socket ends, as REST refuses the key at once.
func TestWebSocketRechecksTheKey(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, k := g.newKey(store.KeyActive)
	adminTok := g.adminTokenFor("admin")
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"x-api-key": {key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	resp, body := g.do(ctx, "PUT", "/admin/api-keys/"+k.ID, adminTok, map[string]any{"status": "suspended"})
	if resp.StatusCode != 200 {
		t.Fatalf("suspend: %d %s", resp.StatusCode, body)
	}
	if err := wsjson.Write(ctx, c, map[string]any{"type": "chat", "id": "r1", "message": "hi"}); err != nil {
		t.Fatal(err)
	}
	var m tenant.WSOut
	if err := wsjson.Read(ctx, c, &m); err != nil {
		t.Fatal(err)
	}
	if m.Type != "error" || m.ID != "r1" || m.Error == nil || m.Error.Code != api.CodeKeySuspended {
		t.Fatalf("got %+v, want a key_suspended error for r1", m)
	}
	if err := wsjson.Read(ctx, c, &m); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
		t.Fatalf("the socket stayed open (read %+v, err %v)", m, err)
	}
	if n := len(g.fake.Requests()); n != 0 {
		t.Errorf("the suspended key's chat reached the API %d times", n)
	}
}
