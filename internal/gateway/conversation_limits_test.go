package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestConversationCreatesAreMeteredAndBounded replays issue 13 item 7: a key
// whose daily limit was spent still created 40 conversations of ~1 MB metadata
// each, and one list returned 38.8 MB. Creates now count against the key's
// limits, metadata is bounded, and a list page stops at maxListBytes.
func TestConversationCreatesAreMeteredAndBounded(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	ctx := context.Background()

	t.Run("creates count against the daily limit", func(t *testing.T) {
		key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.RequestsPerDay = 2 })
		for i := range 2 {
			if resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "c"}); resp.StatusCode != http.StatusCreated {
				t.Fatalf("create %d: %d %s", i, resp.StatusCode, b)
			}
		}
		resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "c"})
		if p := decodeProblem(t, resp, b); resp.StatusCode != http.StatusTooManyRequests || p.Code != "rate_limit_day" {
			t.Fatalf("create past the daily limit: %d %s", resp.StatusCode, b)
		}
		if resp, _ := g.do(ctx, "POST", "/api/chat", key, api.ChatRequest{Message: "hi"}); resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("chat past the daily limit: %d", resp.StatusCode)
		}
	})

	key, _ := g.newKey(store.KeyActive)
	t.Run("metadata is bounded", func(t *testing.T) {
		many := map[string]string{}
		for i := range 17 {
			many[fmt.Sprint("k", i)] = "v"
		}
		for name, md := range map[string]map[string]string{
			"17 entries":       many,
			"a 600-byte value": {"k": strings.Repeat("v", 600)},
			"a 65-byte key":    {strings.Repeat("k", 65): "v"},
			"an empty key":     {"": "v"},
			"a NUL":            {"k": "v\x00"},
		} {
			resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{Metadata: md})
			if p := decodeProblem(t, resp, b); resp.StatusCode != http.StatusBadRequest || p.Code != api.CodeInvalidRequest {
				t.Errorf("%s: %d %s", name, resp.StatusCode, b)
			}
		}
		full := map[string]string{}
		for i := range 16 {
			full[fmt.Sprint("key-", i)] = strings.Repeat("v", 512)
		}
		if resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{Metadata: full}); resp.StatusCode != http.StatusCreated {
			t.Fatalf("metadata at the limits: %d %s", resp.StatusCode, b)
		}
	})

	t.Run("a list page is bounded in bytes", func(t *testing.T) {
		prompt := strings.Repeat("漢", 60_000) // 180,000 bytes
		for i := range 15 {
			if resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{SystemPrompt: prompt}); resp.StatusCode != http.StatusCreated {
				t.Fatalf("create %d: %d %.200s", i, resp.StatusCode, b)
			}
		}
		resp, b := g.do(ctx, "GET", "/api/conversations?limit=200", key, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("list: %d", resp.StatusCode)
		}
		list := decode[tenant.ConversationList](t, b)
		if list.Total != 16 || len(list.Items) == 0 || len(list.Items) >= 15 || len(b) > tenant.MaxListBytes+64<<10 {
			t.Fatalf("list of %d bytes: %d of %d conversations; want a page bounded near %d bytes", len(b), len(list.Items), list.Total, tenant.MaxListBytes)
		}
	})
}
