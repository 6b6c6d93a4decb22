package gateway

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/policies"
)

// admitOnly sends a chat that passes admission but ends before any CLI runs (its
// conversation does not exist): 404 means admitted, a problem status means denied.
func (g *gateway) admitOnly(t *testing.T, key string, body api.ChatRequest) (int, api.Problem) {
	t.Helper()
	if body.Message == "" {
		body.Message = "hi"
	}
	body.ConversationID = uuid.NewString()
	resp, b := g.do(context.Background(), "POST", "/api/chat", key, body)
	if resp.StatusCode == http.StatusNotFound {
		return resp.StatusCode, api.Problem{}
	}
	p := decodeProblem(t, resp, b)
	if resp.StatusCode == http.StatusTooManyRequests {
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 {
			t.Errorf("%s: Retry-After %q", p.Code, resp.Header.Get("Retry-After"))
		}
	}
	return resp.StatusCode, p
}

func wantDenied(t *testing.T, what string, status int, p api.Problem, wantStatus int, code string) {
	t.Helper()
	if status != wantStatus || p.Code != code {
		t.Fatalf("%s: %d %q (%s), want %d %q", what, status, p.Code, p.Detail, wantStatus, code)
	}
}

// TestAdmissionLimitsAndPermissions drives the bundled chain through HTTP. Denials
// cost no CLI spawn; only the limits that need real usage run turns.
func TestAdmissionLimitsAndPermissions(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	t.Run("requests per minute", func(t *testing.T) {
		key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerMinute = 2 })
		for i := range 2 {
			if st, p := g.admitOnly(t, key, api.ChatRequest{}); st != http.StatusNotFound {
				t.Fatalf("request %d: %d %+v", i+1, st, p)
			}
		}
		st, p := g.admitOnly(t, key, api.ChatRequest{})
		wantDenied(t, "third request", st, p, http.StatusTooManyRequests, "rate_limit_minute")
	})
	t.Run("permissions", func(t *testing.T) {
		key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) {
			k.Permissions = store.Permissions{Models: []string{"sonnet"}, MaxTokens: 100, AllowStreaming: false}
		})
		st, p := g.admitOnly(t, key, api.ChatRequest{Model: "opus"})
		wantDenied(t, "model", st, p, http.StatusForbidden, "model_not_allowed")
		st, p = g.admitOnly(t, key, api.ChatRequest{Model: "sonnet", MaxTokens: 500})
		wantDenied(t, "max_tokens", st, p, http.StatusForbidden, "max_tokens_exceeded")
		st, p = g.admitOnly(t, key, api.ChatRequest{Model: "claude-sonnet-5-5", Stream: true})
		wantDenied(t, "streaming", st, p, http.StatusForbidden, "streaming_not_allowed")
		if st, p := g.admitOnly(t, key, api.ChatRequest{Model: "sonnet", MaxTokens: 100}); st != http.StatusNotFound {
			t.Fatalf("allowed request: %d %+v", st, p)
		}
	})
	t.Run("concurrency", func(t *testing.T) {
		key, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.MaxConcurrentRequests = 1 })
		g.fake.SetReply(func(*testkit.Request) testkit.Reply {
			return testkit.Reply{Text: "slow", FirstByteDelay: 1500 * time.Millisecond}
		})
		defer g.fake.SetReply(nil)
		var wg sync.WaitGroup
		wg.Go(func() {
			if resp, b := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "slow one"}); resp.StatusCode != http.StatusOK {
				t.Errorf("slow chat: %d %s", resp.StatusCode, b)
			}
		})
		waitFor(t, func() bool {
			c, err := g.system().Counters(context.Background(), k.ID)
			return err == nil && c.InFlight == 1
		})
		st, p := g.admitOnly(t, key, api.ChatRequest{})
		wantDenied(t, "second in flight", st, p, http.StatusTooManyRequests, "concurrency_limit")
		wg.Wait()
		waitFor(t, func() bool {
			c, err := g.system().Counters(context.Background(), k.ID)
			return err == nil && c.InFlight == 0
		})
		if st, p := g.admitOnly(t, key, api.ChatRequest{}); st != http.StatusNotFound {
			t.Fatalf("after the first finished: %d %+v", st, p)
		}
	})
	t.Run("cost per day", func(t *testing.T) {
		key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.CostUSDPerDay = 0.000001 })
		out := g.chatOK(key, api.ChatRequest{Message: "costs something"})
		if out.CostUSD <= 0 {
			t.Fatalf("cost %v", out.CostUSD)
		}
		st, p := g.admitOnly(t, key, api.ChatRequest{})
		wantDenied(t, "after the spend", st, p, http.StatusTooManyRequests, "cost_limit_day")
	})
	t.Run("max_tokens clamp reaches the API", func(t *testing.T) {
		wasm, err := policies.BundledWasm(policies.Permissions)
		if err != nil {
			t.Fatal(err)
		}
		cfg := `{"aliases":{"sonnet":"claude-sonnet-5-5","opus":"claude-opus-5-5","haiku":"claude-haiku-5-5"},"max_tokens_mode":"clamp"}`
		resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{Name: "permissions", Wasm: wasm, Config: []byte(cfg), Activate: true})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
		key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Permissions.MaxTokens = 100 })
		g.fake.Reset()
		g.chatOK(key, api.ChatRequest{Message: "clamp me", MaxTokens: 500})
		reqs := g.fake.Requests()
		if len(reqs) == 0 || reqs[len(reqs)-1].MaxTokens != 100 {
			t.Fatalf("the API saw %d requests; want the last with max_tokens 100", len(reqs))
		}
	})
}

// TestDailyQuotasSurviveARestart checks that requests and tokens per day deny at
// the right request, and that a restart rebuilds both from the usage events.
func TestDailyQuotasSurviveARestart(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	reqKey, rk := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerDay = 1 })
	tokKey, tk := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.TokensPerDay = 10 })
	g.chatOK(reqKey, api.ChatRequest{Message: "one"})
	out := g.chatOK(tokKey, api.ChatRequest{Message: "one"})
	check := func(when string) {
		t.Helper()
		st, p := g.admitOnly(t, reqKey, api.ChatRequest{})
		wantDenied(t, when+": requests per day", st, p, http.StatusTooManyRequests, "rate_limit_day")
		st, p = g.admitOnly(t, tokKey, api.ChatRequest{})
		wantDenied(t, when+": tokens per day", st, p, http.StatusTooManyRequests, "token_limit_day")
	}
	check("before restart")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := g.node().Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{rk.ID, tk.ID} { // the batching writer has stored them
		waitFor(t, func() bool {
			u, err := g.st.SumUsage(ctx, store.UsageFilter{APIKeyID: id, Admitted: true})
			return err == nil && u.Requests == 1
		})
	}
	g.restart()
	check("after restart")
	c, err := g.system().Counters(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.RequestsToday != 1 || c.TokensToday != out.Usage.TotalTokens {
		t.Errorf("rebuilt counters %+v, want 1 request and %d tokens", c, out.Usage.TotalTokens)
	}
	if c, _ := g.system().Counters(ctx, rk.ID); c.RequestsToday != 1 {
		t.Errorf("rebuilt requests today %d, want 1", c.RequestsToday)
	}
}

// waitFor polls cond for up to 30 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, "condition", cond)
}
