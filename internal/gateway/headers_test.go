package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestSecretResponsesAreNotCached replays issue 13 item 19: key creation,
// rotation and login answered without Cache-Control: no-store or nosniff. Every
// API response now carries both.
func TestSecretResponsesAreNotCached(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := context.Background()
	hash, err := auth.HashPassword("a long admin password")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.st.UpsertAdmin(ctx, &store.Admin{Username: "admin", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	resp, body := g.do(ctx, "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: "a long admin password"})
	check := func(what string, resp *http.Response, want int) {
		t.Helper()
		if resp.StatusCode != want {
			t.Fatalf("%s: status %d", what, resp.StatusCode)
		}
		if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: Cache-Control %q, X-Content-Type-Options %q", what, resp.Header.Get("Cache-Control"), resp.Header.Get("X-Content-Type-Options"))
		}
	}
	check("login", resp, 200)
	tok := decode[admin.LoginResponse](t, body).Token
	resp, body = g.do(ctx, "POST", "/admin/api-keys", tok, map[string]any{"name": "n"})
	check("key creation", resp, 201)
	id := decode[map[string]any](t, body)["id"].(string)
	resp, _ = g.do(ctx, "POST", "/admin/api-keys/"+id+"/rotate", tok, nil)
	check("key rotation", resp, 200)
	resp, _ = g.do(ctx, "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: "wrong"})
	check("refused login", resp, 401)
}

// TestOneOriginMatcher replays issue 13 item 16: CORS allowed exact origins only,
// while the WebSocket upgrade matched host globs, so the two disagreed both ways.
// One matcher now decides both.
func TestOneOriginMatcher(t *testing.T) {
	t.Parallel()
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) {
		cfg.CORSOrigins = []string{"https://app.example.com", "*.evil.com"}
	})
	key, _ := g.newKey(store.KeyActive)
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	for _, tc := range []struct {
		origin  string
		allowed bool
	}{
		{"https://app.example.com", true},
		{"https://x.evil.com", false},
		{"http://app.example.com", false},
		{"https://other.example", false},
	} {
		req, _ := http.NewRequest("OPTIONS", g.srv.URL+"/api/chat", nil)
		req.Header.Set("Origin", tc.origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		cors := resp.Header.Get("Access-Control-Allow-Origin") == tc.origin

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, wresp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {tc.origin}, "x-api-key": {key}}})
		cancel()
		ws := err == nil
		if ws {
			c.CloseNow()
		} else if wresp == nil || wresp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: WebSocket refused with %v", tc.origin, err)
		}
		if cors != tc.allowed || ws != tc.allowed {
			t.Errorf("origin %s: CORS allowed %v, WebSocket allowed %v; want both %v", tc.origin, cors, ws, tc.allowed)
		}
	}
}
