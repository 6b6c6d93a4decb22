package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

func TestAdminKeyLifecycle(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	ctx := context.Background()

	resp, body := g.do(ctx, "POST", "/admin/api-keys", adminTok, map[string]any{
		"name": "support-bot", "usage_limit": map[string]any{"requests_per_minute": 10, "requests_per_day": 1000, "tokens_per_day": 100000},
		"permissions": map[string]any{"models": []string{"sonnet"}, "max_tokens": 4096},
		"metadata":    map[string]any{"user_id": "u_42", "project": "helpdesk", "description": "staging"},
		"allowed_ips": []string{"127.0.0.1", "10.0.0.0/8"}, "max_concurrent_requests": 4, "cost_usd_per_day": 5,
	})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	created := decode[admin.APIKeyBody](t, body)
	secret := created.Key
	if !auth.LooksLikeKey(secret) || created.Status != "active" || created.SigningSecret != "" || resp.Header.Get("Location") != "/admin/api-keys/"+created.ID {
		t.Fatalf("created %+v", created)
	}
	if created.Permissions.Models[0] != g.cfg.ResolveModel("sonnet") || !created.Permissions.AllowStreaming ||
		created.AllowedIPs[0] != "127.0.0.1/32" || created.Metadata.Project != "helpdesk" || len(created.Tools) != 0 {
		t.Errorf("attributes %+v", created)
	}
	if r, b := g.do(ctx, "GET", "/api/models", secret, nil); r.StatusCode != 200 {
		t.Fatalf("the new key does not work: %d %s", r.StatusCode, b)
	}

	t.Run("get masks the key", func(t *testing.T) {
		r, b := g.do(ctx, "GET", "/admin/api-keys/"+created.ID, adminTok, nil)
		got := decode[admin.APIKeyBody](t, b)
		if r.StatusCode != 200 || got.Key == secret || !strings.HasSuffix(got.Key, "…") || strings.Contains(string(b), secret) {
			t.Fatalf("get: %d %s", r.StatusCode, b)
		}
		if got.LastUsedAt == nil {
			// last_used_at is written with the batched usage events; wait for one flush.
			time.Sleep(100 * time.Millisecond)
			_, b = g.do(ctx, "GET", "/admin/api-keys/"+created.ID, adminTok, nil)
			if decode[admin.APIKeyBody](t, b).LastUsedAt == nil {
				t.Error("last_used_at not set after a request")
			}
		}
	})
	t.Run("list, filter and search", func(t *testing.T) {
		g.newKey(store.KeySuspended, func(k *store.APIKey) { k.Name = "other" })
		tests := []struct {
			query string
			want  int
		}{
			{"", 2}, {"?status=active", 1}, {"?status=suspended", 1}, {"?search=HELPDESK", 1},
			{"?search=u_42", 1}, {"?search=nobody", 0}, {"?limit=1", 1},
		}
		for _, tt := range tests {
			r, b := g.do(ctx, "GET", "/admin/api-keys"+tt.query, adminTok, nil)
			list := decode[admin.APIKeyList](t, b)
			if r.StatusCode != 200 || len(list.Items) != tt.want || strings.Contains(string(b), secret) {
				t.Errorf("list%s: %d, %d items, want %d: %s", tt.query, r.StatusCode, len(list.Items), tt.want, b)
			}
			if tt.query == "?limit=1" && list.Total != 2 {
				t.Errorf("total %d, want 2", list.Total)
			}
		}
	})
	t.Run("suspend and activate", func(t *testing.T) {
		r, b := g.do(ctx, "PUT", "/admin/api-keys/"+created.ID, adminTok, map[string]any{"status": "suspended"})
		if r.StatusCode != 200 || decode[admin.APIKeyBody](t, b).Status != "suspended" || decode[admin.APIKeyBody](t, b).Name != "support-bot" {
			t.Fatalf("suspend: %d %s", r.StatusCode, b)
		}
		if r, _ := g.do(ctx, "GET", "/api/models", secret, nil); r.StatusCode != 403 {
			t.Errorf("a suspended key got %d (the cache must be invalidated)", r.StatusCode)
		}
		g.do(ctx, "PUT", "/admin/api-keys/"+created.ID, adminTok, map[string]any{"status": "active"})
		if r, _ := g.do(ctx, "GET", "/api/models", secret, nil); r.StatusCode != 200 {
			t.Errorf("a reactivated key got %d", r.StatusCode)
		}
	})
	t.Run("validation names the field", func(t *testing.T) {
		tests := []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"bad cidr", map[string]any{"name": "x", "allowed_ips": []string{"10.0.0.0/8", "nope"}}, "body.allowed_ips[1]"},
			{"unknown model", map[string]any{"name": "x", "permissions": map[string]any{"models": []string{"gpt-4"}}}, "body.permissions.models[0]"},
			{"bad tool", map[string]any{"name": "x", "tools": []string{"rm -rf"}}, "body.tools[0]"},
			{"past expiry", map[string]any{"name": "x", "expires_at": "2001-01-01T00:00:00Z"}, "body.expires_at"},
			{"negative limit", map[string]any{"name": "x", "usage_limit": map[string]any{"requests_per_day": -1}}, "body.usage_limit.requests_per_day"},
			{"missing name", map[string]any{}, "property name"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r, b := g.do(ctx, "POST", "/admin/api-keys", adminTok, tt.body)
				p := decodeProblem(t, r, b)
				if r.StatusCode != 422 || p.Code != api.CodeValidationFailed || !strings.Contains(string(b), tt.field) {
					t.Fatalf("got %d %s, want 422 naming %s", r.StatusCode, b, tt.field)
				}
			})
		}
	})
	t.Run("delete", func(t *testing.T) {
		if r, b := g.do(ctx, "DELETE", "/admin/api-keys/"+created.ID, adminTok, nil); r.StatusCode != 204 {
			t.Fatalf("delete: %d %s", r.StatusCode, b)
		}
		if r, _ := g.do(ctx, "GET", "/admin/api-keys/"+created.ID, adminTok, nil); r.StatusCode != 404 {
			t.Errorf("get after delete: %d", r.StatusCode)
		}
		if r, _ := g.do(ctx, "GET", "/api/models", secret, nil); r.StatusCode != 401 {
			t.Errorf("a deleted key got %d", r.StatusCode)
		}
	})
	t.Run("audit log", func(t *testing.T) {
		r, b := g.do(ctx, "GET", "/admin/audit-log?target="+created.ID, adminTok, nil)
		list := decode[admin.AuditList](t, b)
		var actions []string
		for _, e := range list.Items {
			actions = append(actions, e.Action)
			if e.Actor != "root" || e.IP != "127.0.0.1" {
				t.Errorf("entry %+v", e)
			}
		}
		want := "api_key.delete api_key.update api_key.update api_key.create"
		if r.StatusCode != 200 || strings.Join(actions, " ") != want {
			t.Fatalf("actions %q, want %q", actions, want)
		}
		if strings.Contains(string(b), secret) || !strings.Contains(string(list.Items[1].Before), `"status":"suspended"`) {
			t.Errorf("audit entries: %s", b)
		}
	})
	assertNoSecrets(t, g, secret, adminTok)
}

func TestAdminKeyRotation(t *testing.T) {
	g := newGateway(t)
	adminTok := g.adminToken()
	ctx := context.Background()
	_, body := g.do(ctx, "POST", "/admin/api-keys", adminTok, map[string]any{"name": "rotating"})
	k := decode[admin.APIKeyBody](t, body)
	old := k.Key

	r, body := g.do(ctx, "POST", "/admin/api-keys/"+k.ID+"/rotate", adminTok, map[string]any{"grace_period_seconds": 1})
	rot := decode[admin.APIKeyBody](t, body)
	if r.StatusCode != 200 || !auth.LooksLikeKey(rot.Key) || rot.Key == old || rot.PreviousKeyValidUntil == nil {
		t.Fatalf("rotate: %d %s", r.StatusCode, body)
	}
	for name, key := range map[string]string{"new": rot.Key, "old in grace": old} {
		if r, b := g.do(ctx, "GET", "/api/models", key, nil); r.StatusCode != 200 {
			t.Errorf("%s key: %d %s", name, r.StatusCode, b)
		}
	}
	time.Sleep(time.Until(*rot.PreviousKeyValidUntil) + 50*time.Millisecond)
	if r, _ := g.do(ctx, "GET", "/api/models", old, nil); r.StatusCode != 401 {
		t.Errorf("old key after the grace period: %d", r.StatusCode)
	}
	if r, _ := g.do(ctx, "GET", "/api/models", rot.Key, nil); r.StatusCode != 200 {
		t.Errorf("new key after the grace period: %d", r.StatusCode)
	}

	_, body = g.do(ctx, "POST", "/admin/api-keys/"+k.ID+"/rotate", adminTok, nil)
	again := decode[admin.APIKeyBody](t, body)
	if r, _ := g.do(ctx, "GET", "/api/models", rot.Key, nil); r.StatusCode != 401 {
		t.Errorf("rotation without grace: the replaced key still gets %d", r.StatusCode)
	}
	if r, _ := g.do(ctx, "GET", "/api/models", again.Key, nil); r.StatusCode != 200 {
		t.Errorf("the newest key gets %d", r.StatusCode)
	}
	if r, _ := g.do(ctx, "POST", "/admin/api-keys/"+"00000000-0000-0000-0000-000000000000"+"/rotate", adminTok, nil); r.StatusCode != 404 {
		t.Errorf("rotating an unknown key: %d", r.StatusCode)
	}
	assertNoSecrets(t, g, old, rot.Key, again.Key, adminTok)
}

func TestExpiredKeysListAsExpired(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	past := time.Now().Add(-time.Hour)
	_, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.ExpiresAt = &past })
	_, b := g.do(context.Background(), "GET", "/admin/api-keys?status=expired", adminTok, nil)
	list := decode[admin.APIKeyList](t, b)
	if len(list.Items) != 1 || list.Items[0].ID != k.ID || list.Items[0].Status != "expired" {
		t.Fatalf("expired list %s", b)
	}
	r, b := g.do(context.Background(), "PUT", "/admin/api-keys/"+k.ID, adminTok, map[string]any{"status": "active"})
	if r.StatusCode != 422 || !strings.Contains(string(b), "body.status") {
		t.Fatalf("activating an expired key without a new expiry: %d %s", r.StatusCode, b)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	r, b = g.do(context.Background(), "PUT", "/admin/api-keys/"+k.ID, adminTok, map[string]any{"status": "active", "expires_at": future})
	if r.StatusCode != 200 || decode[admin.APIKeyBody](t, b).Status != "active" {
		t.Fatalf("reactivating with a new expiry: %d %s", r.StatusCode, b)
	}
}

// assertNoSecrets fails when a secret or an Authorization header reached the log.
func assertNoSecrets(t *testing.T, g *gateway, secrets ...string) {
	t.Helper()
	logs := g.logs.String()
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret (%s) reached the log", auth.MaskKey(s))
		}
	}
	if strings.Contains(strings.ToLower(logs), "bearer ") || strings.Contains(strings.ToLower(logs), `"authorization"`) {
		t.Error("an Authorization header reached the log")
	}
}

// TestAdminKeyPartialUpdate changes one limit and one permission: the fields left
// out keep their values.
func TestAdminKeyPartialUpdate(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	ctx := context.Background()
	resp, body := g.do(ctx, "POST", "/admin/api-keys", adminTok, map[string]any{
		"name":        "partial",
		"usage_limit": map[string]any{"requests_per_minute": 5, "requests_per_day": 100, "tokens_per_day": 9000},
		"permissions": map[string]any{"models": []string{"sonnet"}, "max_tokens": 500, "allow_streaming": false},
	})
	if resp.StatusCode != 201 && resp.StatusCode != 200 {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	var created admin.APIKeyBody
	if err := json.Unmarshal(body, &created); err != nil {
		t.Fatal(err)
	}
	resp, body = g.do(ctx, "PUT", "/admin/api-keys/"+created.ID, adminTok, map[string]any{
		"usage_limit": map[string]any{"requests_per_minute": 1},
		"permissions": map[string]any{"max_tokens": 50},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	var got admin.APIKeyBody
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	wantLimit := api.UsageLimitBody{RequestsPerMinute: 1, RequestsPerDay: 100, TokensPerDay: 9000}
	if got.UsageLimit != wantLimit {
		t.Errorf("usage_limit %+v, want %+v", got.UsageLimit, wantLimit)
	}
	if got.Permissions.MaxTokens != 50 || got.Permissions.AllowStreaming || len(got.Permissions.Models) != 1 {
		t.Errorf("permissions %+v, want max_tokens 50 with the rest unchanged", got.Permissions)
	}
}

// TestKeyMetadataFieldsAreOptional: metadata with one field is accepted on create
// and on update, where it replaces the whole metadata.
func TestKeyMetadataFieldsAreOptional(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	tok := g.adminToken()
	ctx := context.Background()
	resp, body := g.do(ctx, "POST", "/admin/api-keys", tok, map[string]any{"name": "m", "metadata": map[string]any{"project": "p"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	k := decode[admin.APIKeyBody](t, body)
	if k.Metadata != (admin.MetadataBody{Project: "p"}) {
		t.Fatalf("metadata %+v", k.Metadata)
	}
	resp, body = g.do(ctx, "PUT", "/admin/api-keys/"+k.ID, tok, map[string]any{"metadata": map[string]any{"user_id": "u"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("update: %d %s", resp.StatusCode, body)
	}
	if k := decode[admin.APIKeyBody](t, body); k.Metadata != (admin.MetadataBody{UserID: "u"}) {
		t.Fatalf("metadata after update %+v", k.Metadata)
	}
}
