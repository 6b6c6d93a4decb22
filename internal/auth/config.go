package auth

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"time"
)

// Defaults applied where a Config field is left at its zero value.
const (
	DefaultLeeway             = 30 * time.Second
	DefaultLocalTTL           = 12 * time.Hour
	DefaultRoleClaim          = "role"
	DefaultAdminValue         = "admin"
	DefaultKeysTTL            = time.Hour
	DefaultRefreshMinInterval = 30 * time.Second
	DefaultSignatureWindow    = 5 * time.Minute
	DefaultReplayCacheSize    = 100_000
	DefaultFailureBurst       = 10
	DefaultFailurePer         = time.Minute
	DefaultLimiterMaxEntries  = 100_000

	// MinSecretLen is the minimum length in bytes of an HS256 secret (RFC 7518 §3.2
	// requires a key at least as long as the hash output).
	MinSecretLen = 32
)

// Config configures the auth package. Admin bearer tokens may come from up to
// three sources at once; each is enabled by filling its section. Secrets here
// are plain strings; cmd may read them from _FILE variants before passing them in.
type Config struct {
	Local        LocalConfig        `yaml:"local" json:"local"`
	SharedSecret SharedSecretConfig `yaml:"shared_secret" json:"shared_secret"`
	OIDC         OIDCConfig         `yaml:"oidc" json:"oidc"`
	// Leeway is the clock skew tolerated on exp, nbf and iat; 0 means 30s.
	Leeway time.Duration `yaml:"leeway" json:"leeway"`

	Signing      SigningConfig `yaml:"signing" json:"signing"`
	FailureLimit LimiterConfig `yaml:"failure_limit" json:"failure_limit"`
	// TrustedProxies lists the CIDRs (or bare IPs) of reverse proxies whose
	// X-Forwarded-For and X-Forwarded-Proto headers are believed; see ParseCIDRs.
	TrustedProxies []string `yaml:"trusted_proxies" json:"trusted_proxies"`
}

// LocalConfig configures admin tokens that ccgateway issues itself (HS256,
// iss "ccgateway", aud "ccgateway-admin"). An empty Secret disables them.
type LocalConfig struct {
	// Secret is the HMAC key, at least 32 bytes. Every node of a cluster needs
	// the same one.
	Secret string `yaml:"secret" json:"secret"`
	// TTL is the lifetime of issued tokens when Issue is given none; 0 means 12h.
	TTL time.Duration `yaml:"ttl" json:"ttl"`
}

// SharedSecretConfig accepts HS256/384/512 tokens from an existing system that
// shares its signing secret with us (Supabase, a home-grown SSO...). It is
// enabled when Secret is set.
type SharedSecretConfig struct {
	Secret string `yaml:"secret" json:"secret"`
	// Issuer and Audience are checked when set; setting both is recommended so a
	// token minted for another service with the same secret is refused.
	Issuer   string `yaml:"issuer" json:"issuer"`
	Audience string `yaml:"audience" json:"audience"`
	// RoleClaim is a dotted path to the role claim ("role", "app_metadata.roles");
	// "" means "role". AdminValue is the value that grants admin; "" means "admin".
	// See Verifier for the matching rules.
	RoleClaim  string `yaml:"role_claim" json:"role_claim"`
	AdminValue string `yaml:"admin_value" json:"admin_value"`
}

// OIDCConfig accepts tokens signed by an OpenID Connect provider (Auth0,
// Keycloak, Firebase, Okta...) whose public keys are published as a JWKS. It is
// enabled when Issuer or JWKSURL is set.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL, checked against iss exactly. When
	// JWKSURL is empty the key set is found through
	// <Issuer>/.well-known/openid-configuration.
	Issuer  string `yaml:"issuer" json:"issuer"`
	JWKSURL string `yaml:"jwks_url" json:"jwks_url"`
	// Audience is required: without it any token the provider issued for any
	// application would be accepted.
	Audience string `yaml:"audience" json:"audience"`
	// RoleClaim and AdminValue work as in SharedSecretConfig, for example
	// "realm_access.roles" (Keycloak), "https://example.com/roles" (Auth0) or
	// "admin" with a boolean true (Firebase custom claims).
	RoleClaim  string `yaml:"role_claim" json:"role_claim"`
	AdminValue string `yaml:"admin_value" json:"admin_value"`
	// Algorithms lists accepted algorithms; empty means RS256, ES256 and EdDSA.
	// Only asymmetric algorithms are allowed.
	Algorithms []string `yaml:"algorithms" json:"algorithms"`
	// KeysTTL is how long a fetched key set is used before it is refetched; 0 means 1h.
	KeysTTL time.Duration `yaml:"keys_ttl" json:"keys_ttl"`
	// RefreshMinInterval is the least time between two fetches, which bounds what
	// a flood of tokens with unknown key ids can cost the provider; 0 means 30s.
	RefreshMinInterval time.Duration `yaml:"refresh_min_interval" json:"refresh_min_interval"`
}

// SigningConfig configures SignatureVerifier.
type SigningConfig struct {
	// Window is how far a request timestamp may be from now, either way; 0 means 5m.
	Window time.Duration `yaml:"window" json:"window"`
	// ReplayCacheSize bounds the remembered signatures of each signing secret;
	// 0 means 100000.
	ReplayCacheSize int `yaml:"replay_cache_size" json:"replay_cache_size"`
}

// LimiterConfig configures FailureLimiter: Burst failures are allowed per Per,
// refilling continuously.
type LimiterConfig struct {
	Burst int           `yaml:"burst" json:"burst"` // 0 means 10
	Per   time.Duration `yaml:"per" json:"per"`     // 0 means 1m
	// MaxEntries bounds the number of tracked addresses; 0 means 100000.
	MaxEntries int `yaml:"max_entries" json:"max_entries"`
}

// asymmetricAlgs returns the algorithms an OIDC key set may be used with.
func asymmetricAlgs() []string {
	return []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
}

func (c SharedSecretConfig) enabled() bool { return c.Secret != "" }
func (c OIDCConfig) enabled() bool         { return c.Issuer != "" || c.JWKSURL != "" }

// Validate checks cross-field rules and reports every problem found.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if c.Leeway < 0 || c.Leeway > 5*time.Minute {
		add("leeway must be between 0 and 5m")
	}
	if c.Local.Secret != "" && len(c.Local.Secret) < MinSecretLen {
		add("local.secret must be at least %d bytes", MinSecretLen)
	}
	if c.Local.TTL < 0 || c.Local.TTL > 30*24*time.Hour {
		add("local.ttl must be between 0 and 720h")
	}
	s := c.SharedSecret
	if s.Secret == "" && (s.Issuer != "" || s.Audience != "" || s.RoleClaim != "" || s.AdminValue != "") {
		add("shared_secret.secret is required when other shared_secret fields are set")
	}
	if c.Local.Secret != "" && s.Secret != "" && s.Issuer == LocalIssuer {
		add("shared_secret.issuer must differ from %q, the local issuer", LocalIssuer)
	}
	if s.Secret != "" && len(s.Secret) < MinSecretLen {
		add("shared_secret.secret must be at least %d bytes", MinSecretLen)
	}
	o := c.OIDC
	if !o.enabled() && (o.Audience != "" || o.RoleClaim != "" || len(o.Algorithms) > 0) {
		add("oidc.issuer or oidc.jwks_url is required when other oidc fields are set")
	}
	if o.enabled() {
		if o.Audience == "" {
			add("oidc.audience is required")
		}
		for name, u := range map[string]string{"oidc.issuer": o.Issuer, "oidc.jwks_url": o.JWKSURL} {
			if err := checkIdPURL(u); err != nil {
				add("%s: %w", name, err)
			}
		}
		for _, a := range o.Algorithms {
			if !slices.Contains(asymmetricAlgs(), a) {
				add("oidc.algorithms: %q is not one of %v", a, asymmetricAlgs())
			}
		}
		if o.KeysTTL < 0 || o.RefreshMinInterval < 0 {
			add("oidc.keys_ttl and oidc.refresh_min_interval must not be negative")
		}
	}
	if c.Local.Secret == "" && !s.enabled() && !o.enabled() {
		add("no admin token source: set local.secret, shared_secret.secret or oidc.issuer/jwks_url")
	}
	if c.Signing.Window < 0 || c.Signing.Window > time.Hour || c.Signing.ReplayCacheSize < 0 {
		add("signing.window must be between 0 and 1h and replay_cache_size not negative")
	}
	l := c.FailureLimit
	if l.Burst < 0 || l.Per < 0 || l.MaxEntries < 0 {
		add("failure_limit fields must not be negative")
	}
	if _, err := ParseCIDRs(c.TrustedProxies); err != nil {
		add("trusted_proxies: %w", err)
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("auth: config: %w", errors.Join(errs...))
}

// checkIdPURL accepts "" or an absolute https URL; plain http is allowed only for
// loopback hosts, for development and tests.
func checkIdPURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return fmt.Errorf("%q is not an absolute URL", raw)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		host := u.Hostname()
		if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
			return nil
		}
		return fmt.Errorf("%q must use https", raw)
	default:
		return fmt.Errorf("%q must use https", raw)
	}
}

// withDefaults returns a copy of c with zero values replaced by defaults.
func (c Config) withDefaults() Config {
	if c.Leeway == 0 {
		c.Leeway = DefaultLeeway
	}
	if c.Local.TTL == 0 {
		c.Local.TTL = DefaultLocalTTL
	}
	c.SharedSecret.RoleClaim = cmp.Or(c.SharedSecret.RoleClaim, DefaultRoleClaim)
	c.SharedSecret.AdminValue = cmp.Or(c.SharedSecret.AdminValue, DefaultAdminValue)
	o := &c.OIDC
	o.RoleClaim = cmp.Or(o.RoleClaim, DefaultRoleClaim)
	o.AdminValue = cmp.Or(o.AdminValue, DefaultAdminValue)
	if len(o.Algorithms) == 0 {
		o.Algorithms = []string{"RS256", "ES256", "EdDSA"}
	}
	if o.KeysTTL == 0 {
		o.KeysTTL = DefaultKeysTTL
	}
	if o.RefreshMinInterval == 0 {
		o.RefreshMinInterval = DefaultRefreshMinInterval
	}
	return c
}
