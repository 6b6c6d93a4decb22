package api

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

type keyCtx struct{}

// WithKey returns ctx authenticated as k (a WebSocket's turns carry the socket's key).
func WithKey(ctx context.Context, k *store.APIKey) context.Context {
	return context.WithValue(ctx, keyCtx{}, k)
}

// KeyFrom returns the API key that authenticated the request.
func KeyFrom(ctx context.Context) *store.APIKey {
	k, _ := ctx.Value(keyCtx{}).(*store.APIKey)
	return k
}

// keyCache keeps recent key lookups for a short time so that a burst of requests
// costs one database read. Admin changes call Invalidate.
type keyCache struct {
	st  store.Store
	ttl time.Duration

	mu      sync.Mutex
	entries map[string]keyEntry
	// valid holds the hashes of keys that passed every check, for the failed-auth
	// limiter (keyAccess); it is bounded like entries and outlives Invalidate, since
	// it only lets a request be checked, never accepted.
	valid map[string]struct{}
}

type keyEntry struct {
	key *store.APIKey
	at  time.Time
}

func newKeyCache(st store.Store, ttl time.Duration) *keyCache {
	return &keyCache{st: st, ttl: ttl, entries: map[string]keyEntry{}, valid: map[string]struct{}{}}
}

// maxValidKeys bounds keyCache.valid.
const maxValidKeys = 10000

// knownValid reports whether secret belongs to a key that authenticated before.
func (c *keyCache) knownValid(secret string) bool {
	if secret == "" || !auth.LooksLikeKey(secret) {
		return false
	}
	h := auth.HashKey(secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.valid[h]
	return ok
}

// markValid remembers that secret authenticated.
func (c *keyCache) markValid(secret string) {
	h := auth.HashKey(secret)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.valid) >= maxValidKeys {
		c.valid = map[string]struct{}{}
	}
	c.valid[h] = struct{}{}
}

// lookup finds the key whose secret hashes to hash.
func (c *keyCache) lookup(ctx context.Context, hash string) (*store.APIKey, error) {
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[hash]
	c.mu.Unlock()
	if ok && now.Sub(e.at) < c.ttl {
		return e.key, nil
	}
	k, err := c.st.GetAPIKeyByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) > 10000 {
		c.entries = map[string]keyEntry{}
	}
	c.entries[hash] = keyEntry{key: k, at: now}
	c.mu.Unlock()
	return k, nil
}

// Invalidate forgets every cached key, after an admin change.
func (c *keyCache) Invalidate() {
	c.mu.Lock()
	c.entries = map[string]keyEntry{}
	c.mu.Unlock()
}

// PresentedKey reads the API key from Authorization: Bearer or x-api-key.
func PresentedKey(ctx huma.Context) string {
	if v := ctx.Header("x-api-key"); v != "" {
		return strings.TrimSpace(v)
	}
	if h := ctx.Header("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// requires reports whether op's security names scheme.
func requires(op *huma.Operation, scheme string) bool {
	for _, req := range op.Security {
		if _, ok := req[scheme]; ok {
			return true
		}
	}
	return false
}

// authenticate checks API keys on tenant operations and admin tokens on admin ones,
// as each operation's security requirement says. A client address with too many
// recent failures is refused before any database work.
func (s *Server) authenticate(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		op := ctx.Operation()
		ctx = huma.WithValue(ctx, endpointCtx{}, endpoint{path: op.Path, method: op.Method})
		r, _ := humachi.Unwrap(ctx)
		c := CallerFrom(ctx.Context())
		c.IP = s.ClientIP(r)
		switch {
		case requires(op, schemeAPIKey):
			s.serveKeyOperation(ctx, next, c)
		case requires(op, schemeAdmin):
			// A token is checked even from a throttled address: verifying a JWT is a
			// signature check with no database work, and a valid token must not be
			// locked out by someone else's failures behind the same NAT.
			throttled := s.authThrottled(c.IP)
			pr, p := s.adminPrincipal(ctx)
			if p != nil {
				if throttled != nil {
					p = throttled
				} else if isAuthFailure(p) {
					s.authFailed(c.IP)
				}
				WriteProblem(ctx, p)
				return
			}
			c.Admin, c.AdminLocal = pr.Subject, pr.Method == auth.MethodLocal
			if !c.AdminLocal {
				c.Admin = pr.Method + ":" + pr.Subject
			}
			next(ctx)
		default:
			next(ctx)
		}
	}
}

// serveKeyOperation authenticates the key, applies its IP allowlist and
// signature rule, runs the operation and makes sure the request leaves exactly
// one usage event, whether the handler recorded its own or not.
func (s *Server) serveKeyOperation(ctx huma.Context, next func(huma.Context), c *Caller) {
	start := time.Now()
	k, p := s.KeyAccess(ctx, c.IP)
	if p != nil {
		WriteProblem(ctx, p)
		if p.Code != CodeTooManyAuthFailures {
			s.RecordRequest(ctx, k, start, p.Status, p.Code)
		}
		return
	}
	c.KeyID = k.ID
	ctx = s.withRateLimit(huma.WithValue(ctx, keyCtx{}, k), k)
	next(ctx)
	if !c.UsageOwned {
		s.RecordRequest(ctx, k, start, ctx.Status(), "")
	}
}

// keyAccess is every check a key request passes, in order: the failed-auth
// limiter (before any database work), the key itself, then its IP allowlist and
// signature rule. Failures count against the client address. A throttled address
// still gets through with a key that authenticated before (a memory lookup), so
// that bad keys sent from behind a shared NAT do not lock out the good ones. The
// key is returned with a problem when it was found but refused.
func (s *Server) KeyAccess(ctx huma.Context, ip netip.Addr) (*store.APIKey, *Problem) {
	throttled := s.authThrottled(ip)
	if throttled != nil && !s.keys.knownValid(PresentedKey(ctx)) {
		return nil, throttled
	}
	k, p := s.authenticateKey(ctx)
	if p == nil {
		p = s.checkKeyAccess(ctx, k, ip)
	}
	switch {
	case p == nil:
		s.keys.markValid(PresentedKey(ctx))
	case throttled != nil:
		return k, throttled
	case isAuthFailure(p):
		s.authFailed(ip)
	}
	return k, p
}

// authenticateKey resolves and checks the presented API key.
func (s *Server) authenticateKey(ctx huma.Context) (*store.APIKey, *Problem) {
	secret := PresentedKey(ctx)
	if secret == "" {
		return nil, NewProblem(http.StatusUnauthorized, CodeUnauthorized, "missing API key: send Authorization: Bearer <key> or x-api-key: <key>")
	}
	if !auth.LooksLikeKey(secret) {
		return nil, NewProblem(http.StatusUnauthorized, CodeUnauthorized, "invalid API key")
	}
	return s.KeyByHash(ctx.Context(), auth.HashKey(secret))
}

// keyByHash finds the key whose secret hashes to hash and checks that it may be
// used now: not suspended, not expired, and the secret not rotated away. Long-lived
// connections call it again for each request they carry.
func (s *Server) KeyByHash(ctx context.Context, hash string) (*store.APIKey, *Problem) {
	k, err := s.keys.lookup(ctx, hash)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !secretCurrent(k, hash, time.Now())) {
		return nil, NewProblem(http.StatusUnauthorized, CodeUnauthorized, "invalid API key")
	}
	if err != nil {
		s.Log.Error("key lookup failed", "err", err)
		return nil, NewProblem(http.StatusServiceUnavailable, CodeInternal, "could not check the API key")
	}
	switch {
	case k.Status == store.KeySuspended:
		return nil, NewProblem(http.StatusForbidden, CodeKeySuspended, "this API key is suspended")
	case k.Status == store.KeyExpired || (k.ExpiresAt != nil && !time.Now().Before(*k.ExpiresAt)):
		return nil, NewProblem(http.StatusForbidden, CodeKeyExpired, "this API key has expired")
	case k.Status != store.KeyActive:
		return nil, NewProblem(http.StatusForbidden, CodeForbidden, "this API key is not active")
	}
	return k, nil
}

// adminPrincipal verifies the request's admin bearer token.
func (s *Server) adminPrincipal(ctx huma.Context) (*auth.Principal, *Problem) {
	h := ctx.Header("Authorization")
	if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") {
		return nil, NewProblem(http.StatusUnauthorized, CodeUnauthorized, "missing admin token: send Authorization: Bearer <jwt>")
	}
	return s.verifyAdmin(ctx.Context(), strings.TrimSpace(h[7:]))
}

// secretCurrent reports whether hash is the key's secret, or its previous one
// inside the rotation's grace period (checked here too, as a cached entry may
// outlive the grace period by the cache's lifetime).
func secretCurrent(k *store.APIKey, hash string, now time.Time) bool {
	if hash == k.Hash {
		return true
	}
	return hash == k.PrevHash && k.PrevHashExpiresAt != nil && now.Before(*k.PrevHashExpiresAt)
}

// verifyAdmin verifies an admin token and, for a local one, that it carries its
// admin's current token version: a password reset or a logout revokes every
// token issued before it. The version lookup runs only for a token whose
// signature is valid.
func (s *Server) verifyAdmin(ctx context.Context, raw string) (*auth.Principal, *Problem) {
	pr, err := s.Admins.Verify(ctx, raw)
	if err == nil && pr.Method == auth.MethodLocal {
		a, gerr := s.Store.GetAdminByUsername(ctx, pr.Subject)
		switch {
		case errors.Is(gerr, store.ErrNotFound), gerr == nil && a.TokenVersion != pr.Version:
			err = auth.ErrTokenRevoked
		case gerr != nil:
			s.Log.Error("admin lookup failed", "err", gerr)
			return nil, NewProblem(http.StatusServiceUnavailable, CodeInternal, "could not check the admin token")
		}
	}
	if err != nil {
		if p := authProblem(err); p != nil {
			return nil, p
		}
		return nil, NewProblem(http.StatusUnauthorized, CodeUnauthorized, "invalid admin token")
	}
	return pr, nil
}
