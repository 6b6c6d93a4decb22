package gateway

import (
	"bytes"
	"context"
	"fmt"
	"io"
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

// TestOneUsageEventPerRequest drives every transport through the one turn
// pipeline with the real CLI and the fake API, and checks that each request
// leaves exactly one usage event with the outcome's status: success, an unknown
// model (refused before admission), a policy denial, an upstream error, a client
// that leaves mid-stream, and for the WebSocket a refused upgrade and a chat
// refused before admission. Its shutdown half checks that turns cut by a
// graceful shutdown (SIGTERM) still reach the store through the final flush.
func TestOneUsageEventPerRequest(t *testing.T) {
	t.Run("transports", func(t *testing.T) { t.Parallel(); testUsagePerTransport(t) })
	t.Run("shutdown", func(t *testing.T) { t.Parallel(); testUsageAtShutdown(t) })
}

// stallReply answers with some deltas and then never ends the message, so a
// turn runs until its client or the node stops it.
func stallReply() testkit.Reply {
	return testkit.Reply{Chunks: []string{"first ", "second ", "third"}, Stall: true,
		Usage: testkit.Usage{InputTokens: 20, OutputTokens: 3}}
}

func testUsagePerTransport(t *testing.T) {
	g := newGateway(t, withPolicies())
	g.fake.SetReply(func(r *testkit.Request) testkit.Reply {
		switch text := r.LastUserText(); {
		case strings.Contains(text, "upstream-fail"):
			return testkit.Reply{Status: http.StatusBadRequest, ErrorType: "invalid_request_error", ErrorMsg: "bad"}
		case strings.Contains(text, "leave-early"):
			return stallReply()
		}
		return testkit.Reply{Text: "ok"}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
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
			c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(g.srv.URL, "http")+tenant.WSPath, &websocket.DialOptions{HTTPHeader: h})
			if err != nil {
				return 0 // refused upgrade
			}
			defer c.CloseNow()
			if err := wsjson.Write(ctx, c, msg); err != nil {
				t.Fatal(err)
			}
			for {
				var m tenant.WSOut
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
	// leave posts a streamed request and goes away once the first delta arrived.
	leave := func(path string, body string) func(key string) int {
		return func(key string) int {
			lctx, lcancel := context.WithCancel(ctx)
			defer lcancel()
			req, _ := http.NewRequestWithContext(lctx, http.MethodPost, g.srv.URL+path, bytes.NewReader([]byte(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: answered %d before the disconnect", path, resp.StatusCode)
				return resp.StatusCode
			}
			readUntil(t, resp.Body, "first")
			return 499
		}
	}
	wsLeave := func(key string) int {
		h := http.Header{"Authorization": {"Bearer " + key}}
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(g.srv.URL, "http")+tenant.WSPath, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseNow()
		if err := wsjson.Write(ctx, c, map[string]any{"type": "chat", "id": "1", "message": "leave-early"}); err != nil {
			t.Fatal(err)
		}
		for {
			var m tenant.WSOut
			if err := wsjson.Read(ctx, c, &m); err != nil {
				t.Fatalf("read: %v", err)
			}
			if m.Type == "delta" {
				return 499
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
		key              func(k *store.APIKey)
	}
	outcomes := []outcome{
		{"success", "hello", "", http.StatusOK, nil},
		{"unknown model", "hello", "no-such-model", 0, nil}, // 400 natively, 404 in the dialects
		{"policy denial", "hello", "", http.StatusForbidden, func(k *store.APIKey) {
			k.Permissions = store.Permissions{Models: []string{"opus"}} // the requests ask for sonnet
		}},
		{"upstream error", "upstream-fail", "", 0, nil},
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
			var mutate []func(*store.APIKey)
			if o.key != nil {
				mutate = append(mutate, o.key)
			}
			key, k := g.newKey(store.KeyActive, mutate...)
			status := tr.send(o)(key)
			// A streamed turn that fails after its 200 was committed reports the
			// error in the stream; the record still says it failed (checked below).
			streamed := strings.Contains(tr.name, "stream") || tr.name == "sse"
			switch {
			case o.status == http.StatusForbidden:
				if status != o.status {
					t.Errorf("%s: answered %d, want %d", name, status, o.status)
				}
			case (o.status == http.StatusOK) != (status == http.StatusOK) && !(streamed && o.name == "upstream error"):
				t.Errorf("%s: answered %d", name, status)
			}
			if o.status != http.StatusOK && o.status != http.StatusForbidden {
				status = 0 // any failure status, checked against the record below
			}
			checks = append(checks, check{name, k.ID, status})
		}
	}
	// A client that leaves a streamed turn after its first delta: the turn is
	// interrupted and recorded once, as canceled (499).
	for _, tr := range []transport{
		{"sse", func(outcome) func(string) int { return leave("/api/chat", native("leave-early", "", true)) }},
		{"websocket", func(outcome) func(string) int { return wsLeave }},
		{"openai-stream", func(outcome) func(string) int {
			return leave("/v1/chat/completions", dialect("leave-early", "", true))
		}},
		{"anthropic-stream", func(outcome) func(string) int { return leave("/v1/messages", dialect("leave-early", "", true)) }},
	} {
		key, k := g.newKey(store.KeyActive)
		checks = append(checks, check{tr.name + "/client disconnect", k.ID, tr.send(outcome{})(key)})
	}
	// A refused upgrade (suspended key) and a chat refused before admission (no id).
	key, _ := g.newKey(store.KeySuspended)
	if st := wsChat(map[string]any{"type": "chat", "id": "1", "message": "hello"})(key); st != 0 {
		t.Errorf("suspended key upgraded: %d", st)
	}
	refusedUpgrades := func() (n int) {
		for _, ev := range g.usage.all() {
			if ev.Endpoint == tenant.WSPath && ev.StatusCode == http.StatusForbidden && ev.Error == api.CodeKeySuspended {
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
// usageAfter waits until at least n usage events were recorded and returns them
// all: the pipeline finishes a turn's record after the reply reached the client.
func (g *gateway) usageAfter(t *testing.T, n int) []store.UsageEvent {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, fmt.Sprintf("%d usage events", n), func() bool { return len(g.usage.all()) >= n })
	return g.usage.all()
}

func (g *gateway) usageOf(keyID string) []store.UsageEvent {
	var out []store.UsageEvent
	for _, ev := range g.usage.all() {
		if ev.APIKeyID == keyID {
			out = append(out, ev)
		}
	}
	return out
}

// readUntil reads r until what appeared in it.
func readUntil(t *testing.T, r io.Reader, what string) {
	t.Helper()
	var seen strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), what) {
		n, err := r.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("%q never came: %q (%v)", what, seen.String(), err)
		}
	}
}

// testUsageAtShutdown runs streamed turns on every streaming transport, stops
// the node as serve does on SIGTERM (HTTP server and actors with a deadline
// that cuts the turns, then the usage writer's final flush), and checks that
// each cut turn left exactly one usage event in the store.
func testUsageAtShutdown(t *testing.T) {
	g := newGateway(t)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply { return stallReply() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dialect := `{"model":"sonnet","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`
	keys := map[string]string{} // transport -> key id
	for _, tr := range []struct{ name, path, body string }{
		{"sse", "/api/chat", `{"message":"hi","stream":true}`},
		{"openai-stream", "/v1/chat/completions", dialect},
		{"anthropic-stream", "/v1/messages", dialect},
	} {
		key, k := g.newKey(store.KeyActive)
		keys[tr.name] = k.ID
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.srv.URL+tr.path, strings.NewReader(tr.body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: answered %d", tr.name, resp.StatusCode)
		}
		// The stream has begun (its headers came); the turn may still wait for
		// its CLI process, which on a loaded host takes long: either way it is
		// in flight when the signal comes.
		go func() { _, _ = io.Copy(io.Discard, resp.Body); resp.Body.Close() }()
	}
	key, k := g.newKey(store.KeyActive)
	keys["websocket"] = k.ID
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(g.srv.URL, "http")+tenant.WSPath,
		&websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := wsjson.Write(ctx, c, map[string]any{"type": "chat", "id": "1", "message": "hi"}); err != nil {
		t.Fatal(err)
	}
	var first tenant.WSOut // the chat's first message: it runs
	if err := wsjson.Read(ctx, c, &first); err != nil {
		t.Fatalf("websocket read: %v", err)
	}

	// What serve does once the signal arrived; the turns outlive the deadline.
	sctx, scancel := context.WithTimeout(ctx, time.Second)
	defer scancel()
	if err := g.node().Shutdown(sctx); err != nil {
		t.Fatal(err)
	}
	if d := g.node().Usage().Stats().Dropped; d != 0 {
		t.Errorf("the usage writer dropped %d events", d)
	}
	for name, id := range keys {
		evs, _, err := g.st.ListUsageEvents(ctx, store.UsageFilter{APIKeyID: id})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].StatusCode < 400 {
			t.Errorf("%s/sigterm: %d usage events in the store (%+v), want 1 failed", name, len(evs), evs)
		}
	}
}
