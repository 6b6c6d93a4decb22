package gateway

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// jwksServer is a local identity provider publishing one RSA and one EC key.
type jwksServer struct {
	srv *httptest.Server
	rsa *rsa.PrivateKey
	ec  *ecdsa.PrivateKey
}

func newJWKSServer(t *testing.T) *jwksServer {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	j := &jwksServer{rsa: rk, ec: ek}
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	pad := func(n *big.Int) []byte { return n.FillBytes(make([]byte, 32)) }
	keys := map[string]any{"keys": []map[string]string{
		{"kty": "RSA", "kid": "rsa-1", "use": "sig", "alg": "RS256", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
		{"kty": "EC", "kid": "ec-1", "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64(pad(ek.X)), "y": b64(pad(ek.Y))},
	}}
	j.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(keys)
	}))
	t.Cleanup(j.srv.Close)
	return j
}

func (j *jwksServer) sign(t *testing.T, alg string, claims jwt.MapClaims) string {
	t.Helper()
	var tok *jwt.Token
	var key any
	switch alg {
	case "RS256":
		tok, key = jwt.NewWithClaims(jwt.SigningMethodRS256, claims), j.rsa
		tok.Header["kid"] = "rsa-1"
	case "ES256":
		tok, key = jwt.NewWithClaims(jwt.SigningMethodES256, claims), j.ec
		tok.Header["kid"] = "ec-1"
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// claims returns valid claims for iss and aud with extra merged in (nil deletes).
func claims(iss, aud string, extra jwt.MapClaims) jwt.MapClaims {
	now := time.Now()
	c := jwt.MapClaims{"iss": iss, "aud": aud, "sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func TestAdminAuthModes(t *testing.T) {
	t.Parallel()
	idp := newJWKSServer(t)
	const sharedSecret = "shared-secret-of-the-existing-system-0123"
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) {
		cfg.AuthFailureBurst = 1000
		cfg.SharedJWTSecret, cfg.SharedJWTIssuer, cfg.SharedJWTAudience = sharedSecret, "https://sso.example.com", "ccgateway"
		cfg.SharedJWTRoleClaim = "app_metadata.roles"
		cfg.OIDCIssuer, cfg.OIDCJWKSURL, cfg.OIDCAudience = idp.srv.URL, idp.srv.URL+"/jwks", "ccgateway-admin"
		cfg.OIDCRoleClaim = "realm_access.roles"
	})
	hash, _ := auth.HashPassword("a long admin password")
	_ = g.st.UpsertAdmin(context.Background(), &store.Admin{Username: "admin", PasswordHash: hash})
	_, loginBody := g.do(context.Background(), "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: "a long admin password"})
	login := decode[admin.LoginResponse](t, loginBody)

	hs := func(secret string, c jwt.MapClaims) string {
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
		return s
	}
	sharedOK := jwt.MapClaims{"app_metadata": map[string]any{"roles": []string{"user", "admin"}}}
	oidcOK := jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"admin"}}}
	past := jwt.MapClaims{"iat": time.Now().Add(-2 * time.Hour).Unix(), "exp": time.Now().Add(-time.Hour).Unix()}
	merge := func(a, b jwt.MapClaims) jwt.MapClaims {
		out := jwt.MapClaims{}
		for k, v := range a {
			out[k] = v
		}
		for k, v := range b {
			out[k] = v
		}
		return out
	}
	iss, aud := idp.srv.URL, "ccgateway-admin"
	tests := []struct {
		name   string
		token  string
		status int
		code   string
	}{
		{"local login token", login.Token, 200, ""},
		{"local issued token", g.adminToken(), 200, ""},
		{"shared secret", hs(sharedSecret, claims("https://sso.example.com", "ccgateway", sharedOK)), 200, ""},
		{"shared secret, wrong secret", hs("another-secret-of-32-bytes-or-more-000000", claims("https://sso.example.com", "ccgateway", sharedOK)), 401, api.CodeUnauthorized},
		{"shared secret, wrong audience", hs(sharedSecret, claims("https://sso.example.com", "other", sharedOK)), 401, api.CodeUnauthorized},
		{"shared secret, wrong issuer", hs(sharedSecret, claims("https://evil.example.com", "ccgateway", sharedOK)), 401, api.CodeUnauthorized},
		{"shared secret, expired", hs(sharedSecret, claims("https://sso.example.com", "ccgateway", merge(sharedOK, past))), 401, api.CodeTokenExpired},
		{"shared secret, no admin role", hs(sharedSecret, claims("https://sso.example.com", "ccgateway", jwt.MapClaims{"app_metadata": map[string]any{"roles": []string{"user"}}})), 403, api.CodeForbidden},
		{"oidc RS256", idp.sign(t, "RS256", claims(iss, aud, oidcOK)), 200, ""},
		{"oidc ES256", idp.sign(t, "ES256", claims(iss, aud, oidcOK)), 200, ""},
		{"oidc expired", idp.sign(t, "RS256", claims(iss, aud, merge(oidcOK, past))), 401, api.CodeTokenExpired},
		{"oidc wrong audience", idp.sign(t, "ES256", claims(iss, "someone-else", oidcOK)), 401, api.CodeUnauthorized},
		{"oidc wrong issuer", idp.sign(t, "RS256", claims("https://other-idp.example.com", aud, oidcOK)), 401, api.CodeUnauthorized},
		{"oidc missing role", idp.sign(t, "ES256", claims(iss, aud, nil)), 403, api.CodeForbidden},
		{"alg none", "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"x","role":"admin"}`)) + ".", 401, api.CodeUnauthorized},
		{"garbage", "not-a-jwt", 401, api.CodeUnauthorized},
		{"no token", "", 401, api.CodeUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.do(context.Background(), "GET", "/admin/api-keys", tt.token, nil)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				if p := decodeProblem(t, resp, body); p.Code != tt.code {
					t.Errorf("code %q, want %q", p.Code, tt.code)
				}
			}
		})
	}
	t.Run("audit names the identity", func(t *testing.T) {
		tok := idp.sign(t, "RS256", claims(iss, aud, oidcOK))
		g.do(context.Background(), "POST", "/admin/api-keys", tok, map[string]any{"name": "by-oidc"})
		_, body := g.do(context.Background(), "GET", "/admin/audit-log?action=api_key.create", tok, nil)
		list := decode[admin.AuditList](t, body)
		if len(list.Items) != 1 || list.Items[0].Actor != "oidc:alice" {
			t.Fatalf("audit %s", body)
		}
		_, body = g.do(context.Background(), "GET", "/admin/audit-log?action=admin.login", tok, nil)
		if list := decode[admin.AuditList](t, body); len(list.Items) != 1 || list.Items[0].Actor != "admin" {
			t.Fatalf("login audit %s", body)
		}
	})
	assertNoSecrets(t, g, login.Token, sharedSecret)
	if strings.Contains(g.logs.String(), "a long admin password") {
		t.Error("a password reached the log")
	}
}
