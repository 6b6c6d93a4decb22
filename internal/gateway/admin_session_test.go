package gateway

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestAdminTokensAreRevocable replays issue 13 item 15: admin tokens outlived a
// password reset (12 h tokens, no revocation). Tokens carry the admin's token
// version; a reset or POST /admin/logout bumps it, and older tokens get 401
// token_revoked, on the admin API and on /metrics alike.
func TestAdminTokensAreRevocable(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	ctx := context.Background()
	setPassword := func(pw string) {
		t.Helper()
		hash, err := auth.HashPassword(pw)
		if err != nil {
			t.Fatal(err)
		}
		if err := g.st.UpsertAdmin(ctx, &store.Admin{Username: "admin", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	login := func(pw string) string {
		t.Helper()
		resp, body := g.do(ctx, "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: pw})
		if resp.StatusCode != 200 {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		return decode[admin.LoginResponse](t, body).Token
	}
	status := func(tok string) (int, string) {
		t.Helper()
		resp, body := g.do(ctx, "GET", "/admin/api-keys", tok, nil)
		if resp.StatusCode == 200 {
			return 200, ""
		}
		return resp.StatusCode, decodeProblem(t, resp, body).Code
	}
	wantRevoked := func(what, tok string) {
		t.Helper()
		if st, code := status(tok); st != 401 || code != api.CodeTokenRevoked {
			t.Fatalf("%s: %d %s, want 401 %s", what, st, code, api.CodeTokenRevoked)
		}
	}

	setPassword("first password")
	before := login("first password")
	if st, _ := status(before); st != 200 {
		t.Fatalf("fresh token: %d", st)
	}
	setPassword("second password") // a reset, as serve or `ccgateway admin` does it
	wantRevoked("token issued before the password reset", before)

	after := login("second password")
	other := login("second password") // a second session of the same admin
	if st, _ := status(after); st != 200 {
		t.Fatalf("token after the reset: %d", st)
	}
	resp, body := g.do(ctx, "POST", "/admin/logout", after, nil)
	if resp.StatusCode != 204 {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	wantRevoked("token after its logout", after)
	wantRevoked("the admin's other session after a logout", other)
	if resp, _ := g.do(ctx, "POST", "/admin/logout", after, nil); resp.StatusCode != 401 {
		t.Fatalf("logout with a revoked token: %d", resp.StatusCode)
	}
	if st, _ := status(login("second password")); st != 200 {
		t.Fatal("logging in again does not work")
	}

	// A token of the right secret without a version (issued before versions
	// existed) is revoked too, as is one for an admin that does not exist.
	for name, claims := range map[string]jwt.MapClaims{
		"no version":    {"sub": "admin"},
		"unknown admin": {"sub": "ghost", auth.VersionClaim: 1},
	} {
		now := time.Now()
		claims["iss"], claims["aud"], claims["role"] = auth.LocalIssuer, auth.LocalAudience, auth.AdminRole
		claims["iat"], claims["nbf"], claims["exp"] = now.Unix(), now.Unix(), now.Add(time.Hour).Unix()
		tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(strings.Repeat("s", 32)))
		if err != nil {
			t.Fatal(err)
		}
		wantRevoked(name, tok)
	}
}
