package auth

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

const (
	fetchTimeout = 10 * time.Second
	maxFetchSize = 1 << 20
)

// jwk is one usable public key from a key set.
type jwk struct {
	kid string
	alg string // the key's declared alg, "" if none
	key crypto.PublicKey
}

// jwksCache fetches an OIDC provider's key set and keeps it for ttl. Fetches are
// serialised, and two fetch attempts are at least minInterval apart, so tokens
// naming unknown key ids cannot make us hammer the provider. When a refetch
// fails, the keys we already have stay in use: a provider outage should not lock
// admins out.
type jwksCache struct {
	client           *http.Client
	issuer, jwksURL  string
	ttl, minInterval time.Duration
	now              func() time.Time
	sem              chan struct{} // one fetch at a time, waitable with a context

	mu        sync.RWMutex
	keys      []jwk
	fetchedAt time.Time // last successful fetch
	attempted time.Time // last fetch attempt
	lastErr   error
}

func newJWKSCache(c OIDCConfig, client *http.Client, now func() time.Time) *jwksCache {
	return &jwksCache{
		client: client, issuer: c.Issuer, jwksURL: c.JWKSURL,
		ttl: c.KeysTTL, minInterval: c.RefreshMinInterval, now: now,
		sem: make(chan struct{}, 1),
	}
}

// keyfunc returns a jwt.Keyfunc that picks the key for a token by kid and alg.
func (c *jwksCache) keyfunc(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		alg := t.Method.Alg()
		keys, err := c.lookup(ctx, kid)
		if err != nil {
			return nil, err
		}
		set := jwt.VerificationKeySet{}
		for _, k := range keys {
			if compatible(alg, k) {
				set.Keys = append(set.Keys, k.key)
			}
		}
		if len(set.Keys) == 0 {
			return nil, fmt.Errorf("%w: no %s key with id %q", ErrInvalidToken, alg, kid)
		}
		return set, nil
	}
}

// lookup returns the keys with the given kid (all keys when kid is empty),
// fetching the key set when it is stale or lacks the kid, within the rate limit.
func (c *jwksCache) lookup(ctx context.Context, kid string) ([]jwk, error) {
	if keys, fresh := c.cached(kid); fresh && len(keys) > 0 {
		return keys, nil
	}
	select {
	case c.sem <- struct{}{}:
		defer func() { <-c.sem }()
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrKeysUnavailable, ctx.Err())
	}
	keys, fresh := c.cached(kid) // another request may have just fetched
	if fresh && len(keys) > 0 {
		return keys, nil
	}
	c.mu.RLock()
	mayFetch := c.attempted.IsZero() || c.now().Sub(c.attempted) >= c.minInterval
	lastErr := c.lastErr
	c.mu.RUnlock()
	if mayFetch {
		lastErr = c.refresh(ctx)
		keys, _ = c.cached(kid)
	}
	switch {
	case len(keys) > 0:
		return keys, nil
	case lastErr != nil: // the provider is failing and we cannot tell if kid is real
		return nil, lastErr
	default:
		return nil, fmt.Errorf("%w: unknown key id %q", ErrInvalidToken, kid)
	}
}

func (c *jwksCache) cached(kid string) (keys []jwk, fresh bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, k := range c.keys {
		if kid == "" || k.kid == kid {
			keys = append(keys, k)
		}
	}
	return keys, !c.fetchedAt.IsZero() && c.now().Sub(c.fetchedAt) < c.ttl
}

// refresh fetches the key set (discovering its URL first if needed) and stores
// the outcome. The fetch is detached from the caller's cancellation, bounded by
// fetchTimeout, so one impatient client cannot waste the rate-limited attempt.
func (c *jwksCache) refresh(ctx context.Context) error {
	c.mu.Lock()
	c.attempted = c.now()
	c.mu.Unlock()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	keys, err := c.fetch(fctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		c.lastErr = fmt.Errorf("%w: %v", ErrKeysUnavailable, err)
		return c.lastErr
	}
	c.keys, c.fetchedAt, c.lastErr = keys, c.now(), nil
	return nil
}

func (c *jwksCache) fetch(ctx context.Context) ([]jwk, error) {
	if c.jwksURL == "" {
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		discovery := strings.TrimSuffix(c.issuer, "/") + "/.well-known/openid-configuration"
		if err := c.getJSON(ctx, discovery, &doc); err != nil {
			return nil, err
		}
		if strings.TrimSuffix(doc.Issuer, "/") != strings.TrimSuffix(c.issuer, "/") {
			return nil, fmt.Errorf("discovery document names issuer %q, want %q", doc.Issuer, c.issuer)
		}
		if err := checkIdPURL(doc.JWKSURI); err != nil || doc.JWKSURI == "" {
			return nil, fmt.Errorf("discovery document has unusable jwks_uri %q", doc.JWKSURI)
		}
		c.jwksURL = doc.JWKSURI // only touched while holding sem
	}
	var set struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := c.getJSON(ctx, c.jwksURL, &set); err != nil {
		return nil, err
	}
	var keys []jwk
	for _, r := range set.Keys {
		if r.Use != "" && r.Use != "sig" {
			continue
		}
		if k, err := r.publicKey(); err == nil {
			keys = append(keys, jwk{kid: r.Kid, alg: r.Alg, key: k})
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key set at %s has no usable signing keys", c.jwksURL)
	}
	return keys, nil
}

func (c *jwksCache) getJSON(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxFetchSize)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	return nil
}

// compatible reports whether key k may verify a token signed with alg: the key
// type and curve must fit the algorithm, and a key that declares its alg may
// only be used with that alg.
func compatible(alg string, k jwk) bool {
	if k.alg != "" && k.alg != alg {
		return false
	}
	switch pub := k.key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		bits := pub.Curve.Params().BitSize
		return (alg == "ES256" && bits == 256) || (alg == "ES384" && bits == 384) || (alg == "ES512" && bits == 521)
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}
