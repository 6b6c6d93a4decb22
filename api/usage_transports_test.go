package api

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestOneUsageEventPerRequest drives every transport through the one turn
// pipeline with the real CLI and the fake API, and checks that each request
// leaves exactly one usage event with the outcome's status: success, an unknown
// model (refused before admission), an upstream error, and for the WebSocket a
// refused upgrade and a chat refused before admission.
func TestOneUsageEventPerRequest(t *testing.T) {
	g := newGateway(t)
	g.fake.SetReply(func(r *testkit.Request) testkit.Reply {
		if strings.Contains(r.LastUserText(), "upstream-fail") {
			return testkit.Reply{Status: http.StatusBadRequest, ErrorType: "invalid_request_error", ErrorMsg: "bad"}
		}
		return testkit.Reply{Text: "ok"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	post := func(path string, body string) func(key string) int {
		return func(key string) int {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.srv.URL+path, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
	}
	wsChat := func(msg map[string]any) func(key string) int {
		return func(key string) int {
			h := http.Header{"Authorization": {"Bearer " + key}}
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(g.srv.URL, "http")+wsPath, &websocket.DialOptions{HTTPHeader: h})
			if err != nil {
				return 0 // refused upgrade
			}
			defer c.CloseNow()
			if err := wsjson.Write(ctx, c, msg); err != nil {
				t.Fatal(err)
			}
			for {
				var m wsOut
				if err := wsjson.Read(ctx, c, &m); err != nil {
					t.Fatalf("read: %v", err)
				}
				switch m.Type {
				case "done":
					return http.StatusOK
				case "error":
					return m.Error.Status
				}
			}
		}
	}
	native := func(msg, model string, stream bool) string {
		s := `{"message":"` + msg + `"`
		if model != "" {
			s += `,"model":"` + model + `"`
		}
		if stream {
			s += `,"stream":true`
		}
		return s + "}"
	}
	dialect := func(msg, model string, stream bool) string {
		if model == "" {
			model = "sonnet"
		}
		s := `{"model":"` + model + `","max_tokens":64,"messages":[{"role":"user","content":"` + msg + `"}]`
		if stream {
			s += `,"stream":true`
		}
		return s + "}"
	}
	type outcome struct {
		name, msg, model string
		status           int // of the usage event
	}
	outcomes := []outcome{
		{"success", "hello", "", http.StatusOK},
		{"unknown model", "hello", "no-such-model", 0}, // 400 natively, 404 in the dialects
		{"upstream error", "upstream-fail", "", 0},
	}
	type transport struct {
		name string
		send func(o outcome) func(key string) int
	}
	transports := []transport{
		{"rest-json", func(o outcome) func(string) int { return post("/api/chat", native(o.msg, o.model, false)) }},
		{"sse", func(o outcome) func(string) int { return post("/api/chat", native(o.msg, o.model, true)) }},
		{"websocket", func(o outcome) func(string) int {
			m := map[string]any{"type": "chat", "id": "1", "message": o.msg}
			if o.model != "" {
				m["model"] = o.model
			}
			return wsChat(m)
		}},
		{"openai", func(o outcome) func(string) int { return post("/v1/chat/completions", dialect(o.msg, o.model, false)) }},
		{"openai-stream", func(o outcome) func(string) int { return post("/v1/chat/completions", dialect(o.msg, o.model, true)) }},
		{"anthropic", func(o outcome) func(string) int { return post("/v1/messages", dialect(o.msg, o.model, false)) }},
		{"anthropic-stream", func(o outcome) func(string) int { return post("/v1/messages", dialect(o.msg, o.model, true)) }},
	}
	type check struct {
		name   string
		keyID  string
		status int
	}
	var checks []check
	for _, tr := range transports {
		for _, o := range outcomes {
			name := tr.name + "/" + o.name
			key, k := g.newKey(store.KeyActive)
			status := tr.send(o)(key)
			// A streamed turn that fails after its 200 was committed reports the
			// error in the stream; the record still says it failed (checked below).
			streamed := strings.Contains(tr.name, "stream") || tr.name == "sse"
			if (o.status == http.StatusOK) != (status == http.StatusOK) && !(streamed && o.name == "upstream error") {
				t.Errorf("%s: answered %d", name, status)
			}
			if o.status != http.StatusOK {
				status = 0 // any failure status, checked against the record below
			}
			checks = append(checks, check{name, k.ID, status})
		}
	}
	// A refused upgrade (suspended key) and a chat refused before admission (no id).
	key, _ := g.newKey(store.KeySuspended)
	if st := wsChat(map[string]any{"type": "chat", "id": "1", "message": "hello"})(key); st != 0 {
		t.Errorf("suspended key upgraded: %d", st)
	}
	refusedUpgrades := func() (n int) {
		for _, ev := range g.usage.all() {
			if ev.Endpoint == wsPath && ev.StatusCode == http.StatusForbidden && ev.Error == CodeKeySuspended {
				n++
			}
		}
		return n
	}
	testkit.Eventually(t, 30*time.Second, "a usage event for the refused upgrade", func() bool { return refusedUpgrades() > 0 })
	key, k := g.newKey(store.KeyActive)
	st := wsChat(map[string]any{"type": "chat", "message": "hello"})(key)
	checks = append(checks, check{"websocket/refused chat", k.ID, st})

	for _, c := range checks {
		testkit.Eventually(t, 30*time.Second, c.name+": a usage event", func() bool { return len(g.usageOf(c.keyID)) > 0 })
	}
	if n := refusedUpgrades(); n != 1 {
		t.Errorf("refused upgrade: %d usage events, want 1", n)
	}
	for _, c := range checks {
		evs := g.usageOf(c.keyID)
		if len(evs) != 1 {
			t.Errorf("%s: %d usage events, want 1", c.name, len(evs))
			continue
		}
		if ok := evs[0].StatusCode == c.status || (c.status == 0 && evs[0].StatusCode >= 400); !ok {
			t.Errorf("%s: usage event status %d, the client saw %d", c.name, evs[0].StatusCode, c.status)
		}
	}
}

// usageOf is the usage events recorded for one key.
func (g *gateway) usageOf(keyID string) []store.UsageEvent {
	var out []store.UsageEvent
	for _, ev := range g.usage.all() {
		if ev.APIKeyID == keyID {
			out = append(out, ev)
		}
	}
	return out
}
