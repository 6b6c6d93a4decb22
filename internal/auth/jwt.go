package auth

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Claims of the admin tokens ccgateway issues itself.
const (
	LocalIssuer   = "ccgateway"
	LocalAudience = "ccgateway-admin"
	AdminRole     = "admin"
)

// Issuer mints local admin tokens (HS256). It is safe for concurrent use.
type Issuer struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewIssuer returns an Issuer for cfg; cfg.Secret must be at least MinSecretLen
// bytes. WithClock is the only option it uses.
func NewIssuer(cfg LocalConfig, opts ...Option) (*Issuer, error) {
	if len(cfg.Secret) < MinSecretLen {
		return nil, fmt.Errorf("auth: local secret must be at least %d bytes", MinSecretLen)
	}
	o := buildOptions(opts)
	ttl := cfg.TTL
	if ttl <= 0 {
		ttl = DefaultLocalTTL
	}
	return &Issuer{secret: []byte(cfg.Secret), ttl: ttl, now: o.now}, nil
}

// VersionClaim is the claim of local admin tokens that carries the admin's token
// version (store.Admin.TokenVersion): a token whose version is no longer the
// admin's current one has been revoked (password reset, logout).
const VersionClaim = "ver"

// Issue returns a signed admin token for subject (the admin's user name or id)
// carrying the admin's token version, and its expiry. A ttl of 0 or less uses the
// configured default.
func (i *Issuer) Issue(subject string, version int64, ttl time.Duration) (token string, exp time.Time, err error) {
	if subject == "" {
		return "", time.Time{}, fmt.Errorf("auth: issue: empty subject")
	}
	if ttl <= 0 {
		ttl = i.ttl
	}
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("auth: read random: %w", err)
	}
	now := i.now().Truncate(time.Second)
	exp = now.Add(ttl)
	claims := jwt.MapClaims{
		"iss":        LocalIssuer,
		"aud":        LocalAudience,
		"sub":        subject,
		"iat":        now.Unix(),
		"nbf":        now.Unix(),
		"exp":        exp.Unix(),
		"jti":        hex.EncodeToString(jti[:]),
		"role":       AdminRole,
		VersionClaim: version,
	}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(i.secret)
	if err != nil {
		return "", time.Time{}, fmt.Errorf("auth: sign token: %w", err)
	}
	return token, exp, nil
}

// claimAt finds the claim at a dotted path such as "realm_access.roles". At each
// level the longest key that matches wins, so namespaced claims that contain dots
// themselves ("https://example.com/roles") are found too.
func claimAt(claims map[string]any, path string) (any, bool) {
	if v, ok := claims[path]; ok {
		return v, true
	}
	for i := strings.LastIndexByte(path, '.'); i > 0; i = strings.LastIndexByte(path[:i], '.') {
		sub, ok := claims[path[:i]].(map[string]any)
		if !ok {
			continue
		}
		if v, ok := claimAt(sub, path[i+1:]); ok {
			return v, true
		}
	}
	return nil, false
}

// grantsAdmin reports whether a role claim value grants admin: a string equal to
// admin or holding it as one of its space-separated words ("openid admin"), an
// array holding such a string, or the boolean true (Firebase-style "admin": true,
// where the claim path itself names the role).
func grantsAdmin(v any, admin string) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == admin || slices.Contains(strings.Fields(v), admin)
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && s == admin {
				return true
			}
		}
	}
	return false
}
