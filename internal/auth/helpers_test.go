package auth

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// testClock is a settable clock shared by a test and the code under test.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock { return &testClock{t: time.Unix(1_700_000_000, 0)} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// mint signs claims with method and key, setting kid when given.
func mint(t *testing.T, method jwt.SigningMethod, key any, kid string, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return s
}

// claimsAt returns standard claims valid at now for an hour, with extra merged in.
func claimsAt(now time.Time, iss, aud, sub string, extra jwt.MapClaims) claimSet {
	c := claimSet{"iss": iss, "aud": aud, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	return claimSet(c.merge(extra))
}

const (
	testLocalSecret  = "local-secret-0123456789abcdef0123456789"
	testSharedSecret = "shared-secret-0123456789abcdef012345678"
)

// merge returns c with extra's entries set; a nil value deletes the claim.
func (c claimSet) merge(extra jwt.MapClaims) jwt.MapClaims {
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return jwt.MapClaims(c)
}

type claimSet jwt.MapClaims

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }
