package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// doWith is do with extra request headers.
func (g *gateway) doWith(method, path, key string, hdr map[string]string, body any) (*http.Response, []byte) {
	g.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		g.t.Fatal(err)
	}
	req, err := http.NewRequest(method, g.srv.URL+path, bytes.NewReader(b))
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, out
}

func idemKey(k string) map[string]string { return map[string]string{"Idempotency-Key": k} }

// TestIdempotentChatRunsOnce: a retried chat with the same Idempotency-Key and
// body gets the first answer without a second turn, and is recorded as one
// more request with no tokens, not counted against the key's limits; another
// body with the key is refused, another key's same Idempotency-Key is its own,
// and a stream or a malformed key is refused.
func TestIdempotentChatRunsOnce(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	secret, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerMinute = 100 })
	body := api.ChatRequest{Message: "answer me once"}

	first, firstBody := g.doWith("POST", "/api/chat", secret, idemKey("chat-1"), body)
	if first.StatusCode != http.StatusOK {
		t.Fatalf("first: %d %s", first.StatusCode, firstBody)
	}
	turns := len(g.fake.Requests())
	waitFor(t, func() bool { return len(g.usageOf(k.ID)) == 1 })

	again, againBody := g.doWith("POST", "/api/chat", secret, idemKey("chat-1"), body)
	if again.StatusCode != http.StatusOK || !bytes.Equal(againBody, firstBody) {
		t.Fatalf("replay: %d %s\nfirst: %s", again.StatusCode, againBody, firstBody)
	}
	if again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("Idempotent-Replayed: first %q, replay %q", first.Header.Get("Idempotent-Replayed"), again.Header.Get("Idempotent-Replayed"))
	}
	if again.Header.Get("X-Request-Id") == first.Header.Get("X-Request-Id") {
		t.Error("the replay carries the first exchange's request id")
	}
	if n := len(g.fake.Requests()); n != turns {
		t.Errorf("the replay reached the Anthropic API: %d requests, %d before", n, turns)
	}
	if got, want := again.Header.Get(api.HeaderRateLimitRemaining), first.Header.Get(api.HeaderRateLimitRemaining); got != want || want != "99" {
		t.Errorf("RateLimit-Remaining: first %q, replay %q (a replay is not counted)", want, got)
	}
	resp, b := g.do(context.Background(), "GET", "/api/conversations", secret, nil)
	if list := decode[tenant.ConversationList](t, b); resp.StatusCode != http.StatusOK || list.Total != 1 {
		t.Errorf("conversations after the replay: %d %s", resp.StatusCode, b)
	}
	waitFor(t, func() bool { return len(g.usageOf(k.ID)) >= 3 }) // the turn, the replay, the list
	evs := g.usageOf(k.ID)
	if turn, rep := evs[0], evs[1]; turn.TotalTokens == 0 || !turn.Admitted ||
		rep.StatusCode != http.StatusOK || rep.TotalTokens != 0 || rep.Admitted || rep.Endpoint != "/api/chat" {
		t.Errorf("usage events: turn %+v\nreplay %+v", turn, rep)
	}

	cases := []struct {
		name   string
		key    string
		hdr    map[string]string
		body   api.ChatRequest
		status int
		code   string
	}{
		{"another body", secret, idemKey("chat-1"), api.ChatRequest{Message: "something else"}, http.StatusUnprocessableEntity, api.CodeIdempotencyKeyReused},
		{"a stream", secret, idemKey("chat-2"), api.ChatRequest{Message: "stream it", Stream: true}, http.StatusBadRequest, api.CodeIdempotencyKeyStream},
		{"a malformed key", secret, idemKey("has space"), body, http.StatusBadRequest, api.CodeIdempotencyKeyInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, b := g.doWith("POST", "/api/chat", c.key, c.hdr, c.body)
			if p := decodeProblem(t, resp, b); resp.StatusCode != c.status || p.Code != c.code {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, b, c.status, c.code)
			}
		})
	}
	if n := len(g.fake.Requests()); n != turns {
		t.Errorf("a refused request reached the Anthropic API: %d requests, %d before", n, turns)
	}

	t.Run("another tenant", func(t *testing.T) {
		other, _ := g.newKey(store.KeyActive)
		resp, b := g.doWith("POST", "/api/chat", other, idemKey("chat-1"), body)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, b)
		}
		if mine, theirs := decode[api.ChatResponse](t, firstBody), decode[api.ChatResponse](t, b); mine.ConversationID == theirs.ConversationID {
			t.Error("another key got the first key's conversation")
		}
	})
}

// TestIdempotencyKeyWhileRunningIs409: a retry while the first request still
// runs is refused with 409 and Retry-After; once the first has answered, the
// retry gets that answer.
func TestIdempotencyKeyWhileRunningIs409(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	secret, _ := g.newKey(store.KeyActive)
	release := make(chan struct{})
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		<-release
		return testkit.Reply{Text: "finally"}
	})
	body := api.ChatRequest{Message: "take your time"}
	var wg sync.WaitGroup
	var first []byte
	wg.Go(func() {
		resp, b := g.doWith("POST", "/api/chat", secret, idemKey("slow"), body)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("first: %d %s", resp.StatusCode, b)
		}
		first = b
	})
	waitFor(t, func() bool { return len(g.fake.Requests()) > 0 }) // the turn is upstream: the key is claimed
	resp, b := g.doWith("POST", "/api/chat", secret, idemKey("slow"), body)
	if p := decodeProblem(t, resp, b); resp.StatusCode != http.StatusConflict || p.Code != api.CodeIdempotencyKeyInProgress || resp.Header.Get("Retry-After") == "" {
		t.Errorf("retry while running: %d %v %s", resp.StatusCode, resp.Header, b)
	}
	close(release)
	wg.Wait()
	resp, b = g.doWith("POST", "/api/chat", secret, idemKey("slow"), body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(b, first) {
		t.Errorf("retry after the first: %d %v %s", resp.StatusCode, resp.Header, b)
	}
}

// TestIdempotentCreates: a conversation create and a Responses API call are
// replayed; an API key create is replayed without its secrets (they are
// stored hashed only), to the same admin only.
func TestIdempotentCreates(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	secret, _ := g.newKey(store.KeyActive)

	t.Run("conversation", func(t *testing.T) {
		body := tenant.ConversationCreate{Title: "once"}
		first, fb := g.doWith("POST", "/api/conversations", secret, idemKey("conv"), body)
		again, ab := g.doWith("POST", "/api/conversations", secret, idemKey("conv"), body)
		if first.StatusCode != http.StatusCreated || again.StatusCode != http.StatusCreated || !bytes.Equal(fb, ab) ||
			again.Header.Get("Location") == "" || again.Header.Get("Location") != first.Header.Get("Location") {
			t.Fatalf("first %d %s %v\nreplay %d %s %v", first.StatusCode, fb, first.Header, again.StatusCode, ab, again.Header)
		}
		_, b := g.do(context.Background(), "GET", "/api/conversations", secret, nil)
		if list := decode[tenant.ConversationList](t, b); list.Total != 1 {
			t.Errorf("%d conversations after a replayed create", list.Total)
		}
	})

	t.Run("openai response", func(t *testing.T) {
		body := map[string]any{"input": "say it once", "model": "sonnet"}
		first, fb := g.doWith("POST", "/v1/responses", secret, idemKey("resp"), body)
		turns := len(g.fake.Requests())
		again, ab := g.doWith("POST", "/v1/responses", secret, idemKey("resp"), body)
		if first.StatusCode != http.StatusOK || again.StatusCode != http.StatusOK || !bytes.Equal(fb, ab) ||
			again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s\nreplay %d %s", first.StatusCode, fb, again.StatusCode, ab)
		}
		if n := len(g.fake.Requests()); n != turns {
			t.Errorf("the replay ran a turn: %d requests, %d before", n, turns)
		}
		body["stream"] = true
		resp, b := g.doWith("POST", "/v1/responses", secret, idemKey("resp-stream"), body)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "Idempotency-Key") {
			t.Errorf("a stream with a key: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("api key", func(t *testing.T) {
		body := admin.APIKeyCreate{Name: "idempotent-key", RequireSignature: true}
		root := g.adminToken()
		first, fb := g.doWith("POST", "/admin/api-keys", root, idemKey("new-key"), body)
		again, ab := g.doWith("POST", "/admin/api-keys", root, idemKey("new-key"), body)
		if first.StatusCode != http.StatusCreated || again.StatusCode != http.StatusCreated || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("first %d %s\nreplay %d %s", first.StatusCode, fb, again.StatusCode, ab)
		}
		created, replayed := decode[admin.APIKeyBody](t, fb), decode[admin.APIKeyBody](t, ab)
		if !auth.LooksLikeKey(created.Key) || created.SigningSecret == "" {
			t.Fatalf("the first answer lacks its secrets: %s", fb)
		}
		if replayed.ID != created.ID || replayed.Key != auth.MaskKey(created.Key) || replayed.SigningSecret != "" {
			t.Errorf("replay %s, want the key %s masked and no signing secret", ab, created.ID)
		}
		// A claim with another request reads the kept record back (and leaves it).
		kept, err := g.st.ClaimIdempotencyKey(context.Background(), &store.IdempotencyRecord{
			Scope: "admin:root", Operation: "create-api-key", Key: "new-key", RequestHash: "other"}, time.Now().Add(-time.Hour))
		if err != nil || kept == nil || kept.Status != http.StatusCreated {
			t.Fatalf("the kept record: %+v %v", kept, err)
		}
		if strings.Contains(string(kept.Body), created.Key) || strings.Contains(string(kept.Body), created.SigningSecret) {
			t.Errorf("a secret is stored in idempotency_keys: %s", kept.Body)
		}
		other, ob := g.doWith("POST", "/admin/api-keys", g.adminTokenFor("other"), idemKey("new-key"), body)
		if other.StatusCode != http.StatusCreated || other.Header.Get("Idempotent-Replayed") != "" || decode[admin.APIKeyBody](t, ob).ID == created.ID {
			t.Errorf("another admin's same key: %d %s", other.StatusCode, ob)
		}
	})
}

// TestRateLimitFields: a key with a requests-per-minute limit gets the
// RateLimit fields on every answer, Remaining going down as admission counts
// requests and a 429 carrying them too; a key without one gets none.
func TestRateLimitFields(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	limited, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerMinute = 3 })
	fields := func(resp *http.Response) [3]string {
		return [3]string{resp.Header.Get(api.HeaderRateLimitLimit), resp.Header.Get(api.HeaderRateLimitRemaining), resp.Header.Get(api.HeaderRateLimitReset)}
	}
	resp, _ := g.do(context.Background(), "GET", "/api/conversations", limited, nil)
	if got := fields(resp); got != [3]string{"3", "3", "0"} {
		t.Errorf("before any request: %q", got)
	}
	for want := 2; want >= 0; want-- {
		resp, b := g.do(context.Background(), "POST", "/api/chat", limited, api.ChatRequest{Message: "hi", ConversationID: "00000000-0000-4000-8000-000000000000"})
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("admitted request: %d %s", resp.StatusCode, b)
		}
		got := fields(resp)
		if got[0] != "3" || got[1] != string(rune('0'+want)) || !resetInWindow(got[2]) {
			t.Errorf("after %d requests: %q", 3-want, got)
		}
	}
	resp, b := g.do(context.Background(), "POST", "/api/chat", limited, api.ChatRequest{Message: "hi"})
	if got := fields(resp); resp.StatusCode != http.StatusTooManyRequests || got[0] != "3" || got[1] != "0" || !resetInWindow(got[2]) {
		t.Errorf("over the limit: %d %q %s", resp.StatusCode, got, b)
	}
	resp, _ = g.do(context.Background(), "GET", "/api/usage", limited, nil)
	if got := fields(resp); got[1] != "0" {
		t.Errorf("a read after the 429: %q", got)
	}

	streamed, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerMinute = 5 })
	resp, b = g.do(context.Background(), "POST", "/api/chat", streamed, api.ChatRequest{Message: "stream it", Stream: true})
	evs := parseSSE(b)
	if got := fields(resp); resp.StatusCode != http.StatusOK || got[0] != "5" || got[1] != "4" || !resetInWindow(got[2]) ||
		len(evs) == 0 || evs[len(evs)-1].Name != "done" {
		t.Errorf("a stream: %d %q %s", resp.StatusCode, got, b)
	}

	free, _ := g.newKey(store.KeyActive)
	resp, _ = g.do(context.Background(), "GET", "/api/conversations", free, nil)
	if got := fields(resp); got != [3]string{} {
		t.Errorf("a key without a limit: %q", got)
	}
}

// resetInWindow reports whether v is a RateLimit-Reset of a window with
// requests in it: 1 to 60 seconds.
func resetInWindow(v string) bool {
	d, err := time.ParseDuration(v + "s")
	return err == nil && d >= time.Second && d <= time.Minute
}
