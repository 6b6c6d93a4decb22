package auth

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// fakeIdP is an OIDC provider on 127.0.0.1 serving discovery and a mutable JWKS.
type fakeIdP struct {
	srv       *httptest.Server
	mu        sync.Mutex
	keys      []map[string]string
	jwksHits  atomic.Int64
	failJWKS  atomic.Bool
	discIssue string // issuer the discovery document claims; "" = the real one
}

func newFakeIdP(t *testing.T) *fakeIdP {
	t.Helper()
	idp := &fakeIdP{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := idp.discIssue
		if iss == "" {
			iss = idp.srv.URL
		}
		json.NewEncoder(w).Encode(map[string]string{"issuer": iss, "jwks_uri": idp.srv.URL + "/jwks"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		idp.jwksHits.Add(1)
		if idp.failJWKS.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		idp.mu.Lock()
		defer idp.mu.Unlock()
		json.NewEncoder(w).Encode(map[string]any{"keys": idp.keys})
	})
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func (p *fakeIdP) setKeys(keys ...map[string]string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = keys
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PublicKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PublicKey) map[string]string {
	raw, _ := k.Bytes() // 0x04 || X || Y
	n := (len(raw) - 1) / 2
	return map[string]string{"kty": "EC", "kid": kid, "crv": "P-256", "x": b64(raw[1 : 1+n]), "y": b64(raw[1+n:])}
}

func edJWK(kid string, k ed25519.PublicKey) map[string]string {
	return map[string]string{"kty": "OKP", "kid": kid, "crv": "Ed25519", "x": b64(k)}
}

type oidcFixture struct {
	idp   *fakeIdP
	clock *testClock
	v     *Verifier
	rsa   *rsa.PrivateKey
	ec    *ecdsa.PrivateKey
	ed    ed25519.PrivateKey
}

const testAudience = "ccgateway-test"

func newOIDCFixture(t *testing.T, cfg OIDCConfig) *oidcFixture {
	t.Helper()
	f := &oidcFixture{idp: newFakeIdP(t), clock: newTestClock()}
	var err error
	if f.rsa, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if f.ec, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		t.Fatal(err)
	}
	_, f.ed, _ = ed25519.GenerateKey(rand.Reader)
	f.idp.setKeys(rsaJWK("rsa-1", &f.rsa.PublicKey), ecJWK("ec-1", &f.ec.PublicKey), edJWK("ed-1", f.ed.Public().(ed25519.PublicKey)))
	if cfg.Issuer == "" && cfg.JWKSURL == "" {
		cfg.Issuer = f.idp.srv.URL
	}
	cfg.Audience = testAudience
	if cfg.RoleClaim == "" {
		cfg.RoleClaim = "realm_access.roles"
	}
	f.v, err = NewVerifier(Config{OIDC: cfg}, WithClock(f.clock.Now), WithHTTPClient(f.idp.srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *oidcFixture) claims(extra jwt.MapClaims) jwt.MapClaims {
	return claimsAt(f.clock.Now(), f.idp.srv.URL, testAudience, "user-1",
		jwt.MapClaims{"email": "a@example.com", "realm_access": map[string]any{"roles": []string{"viewer", "admin"}}}).merge(extra)
}

func TestOIDCVerify(t *testing.T) {
	f := newOIDCFixture(t, OIDCConfig{Algorithms: []string{"RS256", "ES256", "EdDSA"}})
	otherRSA, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := f.clock.Now()
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"RS256 valid", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(nil)), nil},
		{"ES256 valid", mint(t, jwt.SigningMethodES256, f.ec, "ec-1", f.claims(nil)), nil},
		{"EdDSA valid", mint(t, jwt.SigningMethodEdDSA, f.ed, "ed-1", f.claims(nil)), nil},
		{"no kid tries every key", mint(t, jwt.SigningMethodES256, f.ec, "", f.claims(nil)), nil},
		{"expired", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"exp": now.Add(-time.Minute).Unix()})), ErrTokenExpired},
		{"within leeway", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"exp": now.Add(-10 * time.Second).Unix()})), nil},
		{"missing exp", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"exp": nil})), ErrInvalidToken},
		{"not yet valid", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"nbf": now.Add(time.Hour).Unix()})), ErrTokenNotYetValid},
		{"wrong audience", mint(t, jwt.SigningMethodES256, f.ec, "ec-1", f.claims(jwt.MapClaims{"aud": "other-app"})), ErrWrongAudience},
		{"wrong issuer", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"iss": "https://evil.example"})), ErrWrongIssuer},
		{"missing role", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"realm_access": map[string]any{"roles": []string{"viewer"}}})), ErrNotAdmin},
		{"missing sub", mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"sub": nil})), ErrInvalidToken},
		{"bad signature", mint(t, jwt.SigningMethodRS256, otherRSA, "rsa-1", f.claims(nil)), ErrInvalidToken},
		{"unknown kid", mint(t, jwt.SigningMethodRS256, otherRSA, "rsa-9", f.claims(nil)), ErrInvalidToken},
		{"alg none", mint(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, "rsa-1", f.claims(nil)), ErrInvalidToken},
		{"HS256 with the RSA public key as secret", mint(t, jwt.SigningMethodHS256, f.rsa.PublicKey.N.Bytes(), "rsa-1", f.claims(nil)), ErrInvalidToken},
		{"ES256 naming an RSA kid", mint(t, jwt.SigningMethodES256, f.ec, "rsa-1", f.claims(nil)), ErrInvalidToken},
		{"RS384 not in algorithms", mint(t, jwt.SigningMethodRS384, f.rsa, "rsa-1", f.claims(nil)), ErrInvalidToken},
		{"garbage", "not.a.jwt", ErrInvalidToken},
		{"empty", "", ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := f.v.Verify(context.Background(), tt.token)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if p.Subject != "user-1" || p.Method != MethodOIDC || p.Email != "a@example.com" {
				t.Fatalf("principal = %+v", p)
			}
		})
	}
}

func TestOIDCKeyRotationAndRateLimit(t *testing.T) {
	f := newOIDCFixture(t, OIDCConfig{KeysTTL: time.Hour, RefreshMinInterval: 30 * time.Second})
	ctx := context.Background()
	if _, err := f.v.Verify(ctx, mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(nil))); err != nil {
		t.Fatal(err)
	}
	if got := f.idp.jwksHits.Load(); got != 1 {
		t.Fatalf("jwks fetches = %d, want 1", got)
	}

	t.Run("flood of unknown kids fetches once", func(t *testing.T) {
		f.clock.Advance(31 * time.Second)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tok := mint(t, jwt.SigningMethodRS256, f.rsa, "bogus-"+string(rune('a'+i)), f.claims(nil))
				if _, err := f.v.Verify(ctx, tok); !errors.Is(err, ErrInvalidToken) {
					t.Errorf("err = %v, want ErrInvalidToken", err)
				}
			}()
		}
		wg.Wait()
		if got := f.idp.jwksHits.Load(); got != 2 {
			t.Fatalf("jwks fetches = %d, want 2", got)
		}
	})

	newKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	f.idp.setKeys(rsaJWK("rsa-2", &newKey.PublicKey))
	newTok := mint(t, jwt.SigningMethodRS256, newKey, "rsa-2", f.claims(nil))
	t.Run("new kid refused while rate limited", func(t *testing.T) {
		if _, err := f.v.Verify(ctx, newTok); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("new kid accepted after refetch", func(t *testing.T) {
		f.clock.Advance(31 * time.Second)
		if _, err := f.v.Verify(ctx, mint(t, jwt.SigningMethodRS256, newKey, "rsa-2", f.claims(nil))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("old kid gone after rotation", func(t *testing.T) {
		f.clock.Advance(31 * time.Second)
		if _, err := f.v.Verify(ctx, mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(nil))); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want ErrInvalidToken", err)
		}
	})
	t.Run("stale keys kept while provider is down", func(t *testing.T) {
		f.idp.failJWKS.Store(true)
		f.clock.Advance(2 * time.Hour) // past KeysTTL: a refetch is due and fails
		if _, err := f.v.Verify(ctx, mint(t, jwt.SigningMethodRS256, newKey, "rsa-2", f.claims(nil))); err != nil {
			t.Fatal(err)
		}
	})
}

func TestOIDCProviderFailures(t *testing.T) {
	t.Run("provider down with no cached keys", func(t *testing.T) {
		f := newOIDCFixture(t, OIDCConfig{})
		f.idp.failJWKS.Store(true)
		_, err := f.v.Verify(context.Background(), mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(nil)))
		if !errors.Is(err, ErrKeysUnavailable) || errors.Is(err, ErrInvalidToken) {
			t.Fatalf("err = %v, want only ErrKeysUnavailable", err)
		}
	})
	t.Run("discovery names another issuer", func(t *testing.T) {
		f := newOIDCFixture(t, OIDCConfig{})
		f.idp.discIssue = "https://elsewhere.example"
		_, err := f.v.Verify(context.Background(), mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(nil)))
		if !errors.Is(err, ErrKeysUnavailable) {
			t.Fatalf("err = %v, want ErrKeysUnavailable", err)
		}
	})
	t.Run("explicit JWKS URL, Firebase-style boolean claim", func(t *testing.T) {
		f := newOIDCFixture(t, OIDCConfig{}) // for its provider and keys; f.v is unused
		v, err := NewVerifier(Config{OIDC: OIDCConfig{JWKSURL: f.idp.srv.URL + "/jwks", Audience: testAudience, RoleClaim: "admin"}},
			WithClock(f.clock.Now), WithHTTPClient(f.idp.srv.Client()))
		if err != nil {
			t.Fatal(err)
		}
		tok := mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"admin": true}))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		tok = mint(t, jwt.SigningMethodRS256, f.rsa, "rsa-1", f.claims(jwt.MapClaims{"admin": false}))
		if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrNotAdmin) {
			t.Fatalf("err = %v, want ErrNotAdmin", err)
		}
		if f.idp.jwksHits.Load() != 1 {
			t.Fatalf("jwks fetches = %d", f.idp.jwksHits.Load())
		}
	})
}
