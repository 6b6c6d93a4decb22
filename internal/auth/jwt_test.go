package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestLocalIssueAndVerify(t *testing.T) {
	clock := newTestClock()
	cfg := Config{Local: LocalConfig{Secret: testLocalSecret}}
	iss, err := NewIssuer(cfg.Local, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(cfg, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := iss.Issue("admin", 1, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if want := clock.Now().Add(time.Hour); !exp.Equal(want) {
		t.Fatalf("exp = %v, want %v", exp, want)
	}
	p, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.Subject != "admin" || p.Method != MethodLocal || p.Issuer != LocalIssuer || !p.ExpiresAt.Equal(exp) {
		t.Fatalf("principal = %+v", p)
	}

	now := clock.Now()
	local := func(extra jwt.MapClaims) jwt.MapClaims {
		return claimsAt(now, LocalIssuer, LocalAudience, "admin", jwt.MapClaims{"role": AdminRole}).merge(extra)
	}
	otherIss, _ := NewIssuer(LocalConfig{Secret: testSharedSecret}, WithClock(clock.Now))
	forged, _, _ := otherIss.Issue("admin", 1, time.Hour)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"default ttl", mustIssue(t, iss, 0), nil},
		{"expired", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret), "", local(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()})), ErrTokenExpired},
		{"wrong audience", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret), "", local(jwt.MapClaims{"aud": "else"})), ErrWrongAudience},
		{"missing role", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret), "", local(jwt.MapClaims{"role": "viewer"})), ErrNotAdmin},
		{"issued in the future", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret), "", local(jwt.MapClaims{"iat": now.Add(time.Hour).Unix()})), ErrTokenNotYetValid},
		{"other secret", forged, ErrInvalidToken},
		{"HS512 refused", mint(t, jwt.SigningMethodHS512, []byte(testLocalSecret), "", local(nil)), ErrInvalidToken},
		{"alg none", mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", local(nil)), ErrInvalidToken},
		{"RS256 with no OIDC configured", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := v.Verify(context.Background(), tt.token)
			if (tt.want == nil && err != nil) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("expires with the clock", func(t *testing.T) {
		clock.Advance(time.Hour + time.Minute)
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrTokenExpired) {
			t.Fatalf("err = %v, want ErrTokenExpired", err)
		}
	})
}

func mustIssue(t *testing.T, iss *Issuer, ttl time.Duration) string {
	t.Helper()
	tok, _, err := iss.Issue("admin", 1, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestSharedSecretVerify(t *testing.T) {
	clock := newTestClock()
	cfg := Config{
		Local: LocalConfig{Secret: testLocalSecret},
		SharedSecret: SharedSecretConfig{Secret: testSharedSecret, Issuer: "https://sso.example", Audience: "gw",
			RoleClaim: "app_metadata.roles"},
	}
	v, err := NewVerifier(cfg, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	now := clock.Now()
	shared := func(extra jwt.MapClaims) jwt.MapClaims {
		return claimsAt(now, "https://sso.example", "gw", "u-7",
			jwt.MapClaims{"app_metadata": map[string]any{"roles": []string{"admin"}}}).merge(extra)
	}
	key := []byte(testSharedSecret)
	tests := []struct {
		name   string
		token  string
		want   error
		method string
	}{
		{"valid HS256", mint(t, jwt.SigningMethodHS256, key, "", shared(nil)), nil, MethodSharedSecret},
		{"valid HS512", mint(t, jwt.SigningMethodHS512, key, "", shared(nil)), nil, MethodSharedSecret},
		{"role as string", mint(t, jwt.SigningMethodHS256, key, "", shared(jwt.MapClaims{"app_metadata": map[string]any{"roles": "admin"}})), nil, MethodSharedSecret},
		{"local token still routed locally", mustIssue(t, mustIssuer(t, cfg.Local, clock), time.Hour), nil, MethodLocal},
		{"expired", mint(t, jwt.SigningMethodHS256, key, "", shared(jwt.MapClaims{"exp": now.Add(-time.Hour).Unix()})), ErrTokenExpired, ""},
		{"wrong audience", mint(t, jwt.SigningMethodHS256, key, "", shared(jwt.MapClaims{"aud": []string{"a", "b"}})), ErrWrongAudience, ""},
		{"wrong issuer", mint(t, jwt.SigningMethodHS256, key, "", shared(jwt.MapClaims{"iss": "https://other.example"})), ErrWrongIssuer, ""},
		{"missing role", mint(t, jwt.SigningMethodHS256, key, "", shared(jwt.MapClaims{"app_metadata": map[string]any{}})), ErrNotAdmin, ""},
		{"bad signature", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret+"x"), "", shared(nil)), ErrInvalidToken, ""},
		{"local secret used for a shared token", mint(t, jwt.SigningMethodHS256, []byte(testLocalSecret), "", shared(nil)), ErrInvalidToken, ""},
		{"alg none", mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "", shared(nil)), ErrInvalidToken, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := v.Verify(context.Background(), tt.token)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil || p.Method != tt.method {
				t.Fatalf("principal %+v, err %v; want method %s", p, err, tt.method)
			}
		})
	}
}

func mustIssuer(t *testing.T, cfg LocalConfig, clock *testClock) *Issuer {
	t.Helper()
	iss, err := NewIssuer(cfg, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	return iss
}

func TestRoleClaimMatching(t *testing.T) {
	tests := []struct {
		name   string
		claims string
		path   string
		admin  string
		want   bool
	}{
		{"plain string", `{"role":"admin"}`, "role", "admin", true},
		{"other string", `{"role":"viewer"}`, "role", "admin", false},
		{"space separated", `{"scope":"openid admin"}`, "scope", "admin", true},
		{"keycloak realm roles", `{"realm_access":{"roles":["offline","admin"]}}`, "realm_access.roles", "admin", true},
		{"auth0 namespaced claim", `{"https://gw.example.com/roles":["admin"]}`, "https://gw.example.com/roles", "admin", true},
		{"namespaced object", `{"https://gw.example.com":{"roles":["admin"]}}`, "https://gw.example.com.roles", "admin", true},
		{"firebase boolean", `{"admin":true}`, "admin", "admin", true},
		{"boolean false", `{"admin":false}`, "admin", "admin", false},
		{"number is not a role", `{"role":1}`, "role", "1", false},
		{"missing path", `{"app_metadata":{}}`, "app_metadata.roles", "admin", false},
		{"path through a non-object", `{"app_metadata":"x"}`, "app_metadata.roles", "admin", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			claims := jwt.MapClaims{}
			if err := jsonUnmarshal(tt.claims, &claims); err != nil {
				t.Fatal(err)
			}
			v, ok := claimAt(claims, tt.path)
			if got := ok && grantsAdmin(v, tt.admin); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
