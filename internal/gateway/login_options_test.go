package gateway

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/config"
)

func TestLoginOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		set      func(c *config.Config)
		wantOIDC *admin.OIDCOption
	}{
		{name: "password only", set: func(*config.Config) {}},
		{name: "an issuer without a client id offers no SSO", set: func(c *config.Config) { c.OIDCIssuer, c.OIDCAudience = "https://idp.example.com", "x" }},
		{name: "SSO", set: func(c *config.Config) {
			c.OIDCIssuer, c.OIDCAudience, c.OIDCClientID = "https://idp.example.com/realms/ops", "ccgateway-console", "ccgateway-console"
		}, wantOIDC: &admin.OIDCOption{Issuer: "https://idp.example.com/realms/ops", ClientID: "ccgateway-console", Scopes: []string{"openid", "profile", "email"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Defaults()
			tc.set(cfg)
			h, _ := api.New(api.Deps{Config: APIConfig(cfg), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"}, Groups...)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/admin/login-options", nil)) // no token: public
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got admin.LoginOptions
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if !got.Password {
				t.Error("password sign-in not offered")
			}
			gotJSON, _ := json.Marshal(got.OIDC)
			wantJSON, _ := json.Marshal(tc.wantOIDC)
			if string(gotJSON) != string(wantJSON) {
				t.Errorf("oidc = %s, want %s", gotJSON, wantJSON)
			}
			if tc.wantOIDC == nil && strings.Contains(rec.Body.String(), "oidc") {
				t.Errorf("body mentions oidc: %s", rec.Body)
			}
		})
	}
}

func TestConsoleRoutesMounted(t *testing.T) {
	t.Parallel()
	h, _ := api.New(api.Deps{Config: APIConfig(config.Defaults()), Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: "test"}, Groups...)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if rec.Code != http.StatusFound || rec.Header().Get("Location") != "/console/" {
		t.Errorf("GET /: %d %q, want a redirect to /console/", rec.Code, rec.Header().Get("Location"))
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/docs/", nil))
	if strings.Contains(rec.Body.String(), "unpkg.com") || strings.Contains(rec.Body.String(), "cdn") {
		t.Errorf("/docs loads from a CDN: %s", rec.Body)
	}
}
