package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Principal methods: which source accepted an admin token.
const (
	MethodLocal        = "local"
	MethodSharedSecret = "shared_secret"
	MethodOIDC         = "oidc"
)

// maxTokenLen bounds the tokens Verify will parse at all.
const maxTokenLen = 16 << 10

// Principal is an authenticated admin.
type Principal struct {
	Subject   string    // the token's sub
	Method    string    // MethodLocal, MethodSharedSecret or MethodOIDC
	Email     string    // the token's email claim, if any
	Issuer    string    // the token's iss
	ExpiresAt time.Time // the token's exp
	// Version is a local token's token version (VersionClaim; 0 when absent). The
	// caller compares it with the admin's current one: the verifier has no store.
	Version int64
}

// Option customises NewVerifier and NewIssuer.
type Option func(*options)

type options struct {
	client *http.Client
	now    func() time.Time
}

// WithHTTPClient sets the client used to fetch OIDC discovery documents and
// key sets. The default has a 10s timeout.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithClock sets the time source, for tests.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

func buildOptions(opts []Option) options {
	o := options{client: &http.Client{Timeout: fetchTimeout}, now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Verifier checks admin bearer tokens against every configured source. It is
// safe for concurrent use.
//
// Routing happens before any signature check, on the token's unverified header
// and iss: HMAC tokens go to the local source when their iss is "ccgateway" (or
// no shared secret is configured) and to the shared-secret source otherwise;
// asymmetric tokens go to OIDC. Each source then accepts only its own algorithms
// and key types, so "none" and algorithm confusion (an HS256 token "signed" with
// an RSA public key) are refused. A token is an admin's when the configured role
// claim grants admin (see grantsAdmin): for local tokens, role == "admin".
type Verifier struct {
	local, shared, oidc *tokenSource
}

// NewVerifier validates cfg and builds a Verifier. OIDC discovery and key
// fetching happen lazily, on the first token that needs them, so an unreachable
// provider does not stop the gateway from starting.
func NewVerifier(cfg Config, opts ...Option) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	o := buildOptions(opts)
	common := []jwt.ParserOption{
		jwt.WithLeeway(cfg.Leeway), jwt.WithTimeFunc(o.now),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(),
	}
	parser := func(algs []string, iss, aud string) *jwt.Parser {
		po := append([]jwt.ParserOption{jwt.WithValidMethods(algs)}, common...)
		if iss != "" {
			po = append(po, jwt.WithIssuer(iss))
		}
		if aud != "" {
			po = append(po, jwt.WithAudience(aud))
		}
		return jwt.NewParser(po...)
	}
	v := &Verifier{}
	if s := cfg.Local.Secret; s != "" {
		v.local = &tokenSource{
			method: MethodLocal, parser: parser([]string{"HS256"}, LocalIssuer, LocalAudience),
			keyfunc: staticKey([]byte(s)), roleClaim: "role", adminValue: AdminRole,
		}
	}
	if s := cfg.SharedSecret; s.enabled() {
		v.shared = &tokenSource{
			method: MethodSharedSecret, parser: parser([]string{"HS256", "HS384", "HS512"}, s.Issuer, s.Audience),
			keyfunc: staticKey([]byte(s.Secret)), roleClaim: s.RoleClaim, adminValue: s.AdminValue,
		}
	}
	if c := cfg.OIDC; c.enabled() {
		cache := newJWKSCache(c, o.client, o.now)
		v.oidc = &tokenSource{
			method: MethodOIDC, parser: parser(c.Algorithms, c.Issuer, c.Audience),
			keyfunc: cache.keyfunc, roleClaim: c.RoleClaim, adminValue: c.AdminValue,
		}
	}
	return v, nil
}

// Verify checks a bearer token (without the "Bearer " prefix) and returns the
// admin it names. Errors wrap ErrInvalidToken, ErrTokenExpired,
// ErrTokenNotYetValid, ErrWrongIssuer, ErrWrongAudience, ErrNotAdmin or, when
// the identity provider cannot be reached, ErrKeysUnavailable.
func (v *Verifier) Verify(ctx context.Context, token string) (*Principal, error) {
	if token == "" || len(token) > maxTokenLen {
		return nil, fmt.Errorf("%w: empty or oversized", ErrInvalidToken)
	}
	unverified, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
	if err != nil {
		return nil, fmt.Errorf("%w: malformed", ErrInvalidToken)
	}
	alg := unverified.Method.Alg()
	iss, _ := unverified.Claims.GetIssuer()
	src := v.route(alg, iss)
	if src == nil {
		return nil, fmt.Errorf("%w: algorithm %q not accepted", ErrInvalidToken, alg)
	}
	return src.verify(ctx, token)
}

func (v *Verifier) route(alg, iss string) *tokenSource {
	if strings.HasPrefix(alg, "HS") {
		if v.local != nil && (v.shared == nil || iss == LocalIssuer) {
			return v.local
		}
		return v.shared
	}
	if alg == "none" {
		return nil
	}
	return v.oidc
}

// tokenSource is one configured way of accepting admin tokens.
type tokenSource struct {
	method     string
	parser     *jwt.Parser
	keyfunc    func(ctx context.Context) jwt.Keyfunc
	roleClaim  string
	adminValue string
}

func staticKey(key []byte) func(context.Context) jwt.Keyfunc {
	return func(context.Context) jwt.Keyfunc {
		return func(*jwt.Token) (any, error) { return key, nil }
	}
}

func (s *tokenSource) verify(ctx context.Context, raw string) (*Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := s.parser.ParseWithClaims(raw, claims, s.keyfunc(ctx)); err != nil {
		return nil, fmt.Errorf("%s: %w", s.method, mapJWTError(err))
	}
	sub, _ := claims.GetSubject()
	if sub == "" {
		return nil, fmt.Errorf("%s: %w: missing sub", s.method, ErrInvalidToken)
	}
	if role, ok := claimAt(claims, s.roleClaim); !ok || !grantsAdmin(role, s.adminValue) {
		return nil, fmt.Errorf("%s: %w", s.method, ErrNotAdmin)
	}
	p := &Principal{Subject: sub, Method: s.method}
	p.Email, _ = claims["email"].(string)
	p.Issuer, _ = claims.GetIssuer()
	if exp, _ := claims.GetExpirationTime(); exp != nil {
		p.ExpiresAt = exp.Time
	}
	if s.method == MethodLocal {
		if v, ok := claims[VersionClaim].(float64); ok && v == float64(int64(v)) {
			p.Version = int64(v)
		}
	}
	return p, nil
}

// mapJWTError turns a jwt library error into one of this package's sentinels,
// keeping the library's text as detail. Errors our key lookup raised already
// carry a sentinel and are returned as they are.
func mapJWTError(err error) error {
	switch {
	case errors.Is(err, ErrKeysUnavailable), errors.Is(err, ErrInvalidToken):
		return err
	case errors.Is(err, jwt.ErrTokenMalformed), errors.Is(err, jwt.ErrTokenSignatureInvalid),
		errors.Is(err, jwt.ErrTokenUnverifiable):
		return fmt.Errorf("%w: %v", ErrInvalidToken, err)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return ErrWrongIssuer
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return ErrWrongAudience
	case errors.Is(err, jwt.ErrTokenExpired):
		return ErrTokenExpired
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return ErrTokenNotYetValid
	default:
		return fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
}
