package gateway

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
)

// TestStoredMaxTokensRespectsTheCap: a conversation's stored max_tokens is checked
// against the key's cap when it is created, and a continue that omits max_tokens
// is admitted (and clamped) on the stored value, so the CLI never runs above it.
func TestStoredMaxTokensRespectsTheCap(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	key, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Permissions.MaxTokens = 100 })

	resp, b := g.do(context.Background(), "POST", "/api/conversations", key, tenant.ConversationCreate{MaxTokens: 5000})
	if p := decodeProblem(t, resp, b); resp.StatusCode != http.StatusForbidden || p.Code != "max_tokens_exceeded" {
		t.Fatalf("create with max_tokens 5000: %d %s", resp.StatusCode, b)
	}

	// A conversation stored above the cap (created before the cap was set).
	c := &store.Conversation{ID: uuid.NewString(), APIKeyID: k.ID, Model: g.cfg.ResolveModel(g.cfg.DefaultModel),
		SessionID: uuid.NewString(), MaxTokens: 5000, Metadata: map[string]string{}}
	if err := g.st.CreateConversation(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	path := "/api/conversations/" + c.ID + "/continue"
	resp, b = g.do(context.Background(), "POST", path, key, api.ChatRequest{Message: "hi"})
	if p := decodeProblem(t, resp, b); resp.StatusCode != http.StatusForbidden || p.Code != "max_tokens_exceeded" {
		t.Fatalf("continue on the stored 5000: %d %s", resp.StatusCode, b)
	}

	t.Run("clamp", func(t *testing.T) {
		wasm, err := policies.BundledWasm(policies.Permissions)
		if err != nil {
			t.Fatal(err)
		}
		cfg := `{"aliases":{"sonnet":"claude-sonnet-5-5","opus":"claude-opus-5-5","haiku":"claude-haiku-5-5"},"max_tokens_mode":"clamp"}`
		resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{Name: "permissions", Wasm: wasm, Config: []byte(cfg), Activate: true})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
		resp, b = g.do(context.Background(), "POST", "/api/conversations", key, tenant.ConversationCreate{MaxTokens: 5000})
		if created := decode[tenant.Conversation](t, b); resp.StatusCode != http.StatusCreated || created.MaxTokens != 100 {
			t.Fatalf("create with max_tokens 5000 under clamp: %d %s", resp.StatusCode, b)
		}
		g.fake.Reset()
		resp, b = g.do(context.Background(), "POST", path, key, api.ChatRequest{Message: "hi"})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("continue: %d %s", resp.StatusCode, b)
		}
		reqs := g.fake.Requests()
		if len(reqs) == 0 || reqs[len(reqs)-1].MaxTokens > 100 {
			t.Fatalf("the API saw %d requests; want the last with max_tokens <= 100", len(reqs))
		}
	})
}

// TestOmittedMaxTokensCannotBypassTheCap replays issue 13 item 3: with the
// default refuse mode, a request without max_tokens ran the CLI at 128000 whatever
// the key's cap, on /api/chat, /v1/chat/completions and (with max_tokens 0)
// /v1/messages. The cap applies when a request names none; 0 is a 400.
func TestOmittedMaxTokensCannotBypassTheCap(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Permissions.MaxTokens = 100 })
	ctx := context.Background()
	for _, tc := range []struct {
		path string
		body any
	}{
		{"/api/chat", api.ChatRequest{Message: "hi"}},
		{"/v1/chat/completions", map[string]any{"model": "sonnet", "messages": []map[string]string{{"role": "user", "content": "hi"}}}},
		{"/v1/messages", map[string]any{"model": "sonnet", "messages": []map[string]string{{"role": "user", "content": "hi"}}}},
	} {
		g.fake.Reset()
		resp, b := g.do(ctx, "POST", tc.path, key, tc.body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.path, resp.StatusCode, b)
		}
		reqs := g.fake.Requests()
		if len(reqs) == 0 || reqs[len(reqs)-1].MaxTokens > 100 {
			t.Fatalf("%s without max_tokens: the API saw max_tokens %d, over the key's cap of 100", tc.path, reqs[len(reqs)-1].MaxTokens)
		}
	}
	resp, b := g.do(ctx, "POST", "/v1/messages", key, map[string]any{"model": "sonnet", "max_tokens": 0,
		"messages": []map[string]string{{"role": "user", "content": "hi"}}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("/v1/messages with max_tokens 0: %d %s", resp.StatusCode, b)
	}
}
