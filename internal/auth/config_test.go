package auth

import (
	"strings"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	oidc := OIDCConfig{Issuer: "https://tenant.eu.auth0.com/", Audience: "https://gw.example.com"}
	tests := []struct {
		name    string
		cfg     Config
		wantErr string // substring; "" means valid
	}{
		{"local only", Config{Local: LocalConfig{Secret: testLocalSecret}}, ""},
		{"oidc only", Config{OIDC: oidc}, ""},
		{"all three", Config{Local: LocalConfig{Secret: testLocalSecret}, SharedSecret: SharedSecretConfig{Secret: testSharedSecret}, OIDC: oidc}, ""},
		{"loopback http issuer", Config{OIDC: OIDCConfig{Issuer: "http://127.0.0.1:8081", Audience: "a"}}, ""},
		{"nothing", Config{}, "no admin token source"},
		{"short local secret", Config{Local: LocalConfig{Secret: "short"}}, "local.secret must be at least 32"},
		{"short shared secret", Config{Local: LocalConfig{Secret: testLocalSecret}, SharedSecret: SharedSecretConfig{Secret: "short"}}, "shared_secret.secret must be"},
		{"shared fields without secret", Config{Local: LocalConfig{Secret: testLocalSecret}, SharedSecret: SharedSecretConfig{Issuer: "x"}}, "shared_secret.secret is required"},
		{"shared issuer clashes with local", Config{Local: LocalConfig{Secret: testLocalSecret}, SharedSecret: SharedSecretConfig{Secret: testSharedSecret, Issuer: LocalIssuer}}, "must differ"},
		{"oidc without audience", Config{OIDC: OIDCConfig{Issuer: "https://idp.example"}}, "oidc.audience is required"},
		{"oidc audience without issuer", Config{Local: LocalConfig{Secret: testLocalSecret}, OIDC: OIDCConfig{Audience: "a"}}, "oidc.issuer or oidc.jwks_url"},
		{"plain http issuer", Config{OIDC: OIDCConfig{Issuer: "http://idp.example", Audience: "a"}}, "must use https"},
		{"relative jwks url", Config{OIDC: OIDCConfig{JWKSURL: "/jwks", Audience: "a"}}, "not an absolute URL"},
		{"symmetric oidc alg", Config{OIDC: OIDCConfig{Issuer: "https://idp.example", Audience: "a", Algorithms: []string{"HS256"}}}, "oidc.algorithms"},
		{"negative leeway", Config{Local: LocalConfig{Secret: testLocalSecret}, Leeway: -time.Second}, "leeway"},
		{"bad trusted proxy", Config{Local: LocalConfig{Secret: testLocalSecret}, TrustedProxies: []string{"10.0.0.0/8", "nope"}}, `"nope"`},
		{"negative limiter", Config{Local: LocalConfig{Secret: testLocalSecret}, FailureLimit: LimiterConfig{Burst: -1}}, "failure_limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
	t.Run("every problem reported", func(t *testing.T) {
		err := Config{Local: LocalConfig{Secret: "short"}, Leeway: time.Hour}.Validate()
		if err == nil || !strings.Contains(err.Error(), "leeway") || !strings.Contains(err.Error(), "local.secret") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("secrets never in errors", func(t *testing.T) {
		err := Config{Local: LocalConfig{Secret: "tooshort-but-secret"}}.Validate()
		if err == nil || strings.Contains(err.Error(), "tooshort-but-secret") {
			t.Fatalf("err = %v", err)
		}
	})
}
