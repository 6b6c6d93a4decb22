package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"log/slog"
	"strings"
)

// API key format: KeyPrefix, then keyRandLen base62 characters drawn uniformly
// (43 × log2(62) ≈ 256.03 bits, as much entropy as 32 random bytes), then a
// keyCheckLen-character base62 CRC-32 of the random part. The checksum is not a
// security feature: it lets LooksLikeKey reject typos and made-up strings without a
// database lookup, and lets secret scanners tell real keys from look-alikes.
const (
	// KeyPrefix starts every ccgateway API key.
	KeyPrefix = "sk-ccg-"
	// SigningSecretPrefix starts every request-signing secret.
	SigningSecretPrefix = "sig-ccg-"
	// KeyLen is the length in bytes of every API key secret.
	KeyLen = len(KeyPrefix) + keyRandLen + keyCheckLen

	keyRandLen     = 43
	keyCheckLen    = 6
	keyVisibleLen  = 12 // KeyPrefix plus 5 random characters
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	maskSuffix     = "…"
)

// Key is a freshly generated API key. Secret is shown to its owner once and never
// stored; the store keeps Prefix (for display) and Hash (for lookup).
//
// Key's String, GoString and LogValue methods print only the prefix, so a Key that
// strays into a log line or an error does not leak its secret.
type Key struct {
	Secret string `json:"secret"`
	Prefix string `json:"prefix"`
	Hash   string `json:"hash"`
}

// String returns the key's display prefix, never the secret.
func (k Key) String() string { return k.Prefix }

// GoString returns a redacted form for %#v.
func (k Key) GoString() string { return fmt.Sprintf("auth.Key{Prefix: %q}", k.Prefix) }

// LogValue redacts the secret when a Key is passed to log/slog.
func (k Key) LogValue() slog.Value {
	return slog.GroupValue(slog.String("prefix", k.Prefix), slog.String("hash", k.Hash))
}

// GenerateKey returns a new random API key with its display prefix and hash.
func GenerateKey() (Key, error) {
	body, err := randomBase62(keyRandLen)
	if err != nil {
		return Key{}, err
	}
	secret := KeyPrefix + body + keyChecksum(body)
	return Key{Secret: secret, Prefix: MaskKey(secret), Hash: HashKey(secret)}, nil
}

// GenerateSigningSecret returns a new random secret for HMAC request signing
// (SigningSecretPrefix plus 256 bits in base62). The whole string, prefix
// included, is the HMAC key, so clients can use it exactly as shown.
func GenerateSigningSecret() (string, error) {
	body, err := randomBase62(keyRandLen)
	if err != nil {
		return "", err
	}
	return SigningSecretPrefix + body, nil
}

// HashKey returns the hex SHA-256 of an API key secret, the value stored and
// looked up. A fast unsalted hash is right here, unlike for passwords: the secret
// carries 256 bits of uniform randomness, so there is no dictionary to attack and
// brute force is infeasible however cheap each guess is; a deterministic hash is
// what makes an indexed lookup possible; and a slow KDF would cost CPU on every
// API request for no security gain.
func HashKey(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// LooksLikeKey reports whether s has the exact shape of a ccgateway API key:
// prefix, length, alphabet and checksum. It is a cheap filter to run before any
// database work; it says nothing about whether the key exists.
func LooksLikeKey(s string) bool {
	if len(s) != KeyLen || !strings.HasPrefix(s, KeyPrefix) {
		return false
	}
	rest := s[len(KeyPrefix):]
	for i := 0; i < len(rest); i++ {
		if strings.IndexByte(base62Alphabet, rest[i]) < 0 {
			return false
		}
	}
	body, check := rest[:keyRandLen], rest[keyRandLen:]
	return keyChecksum(body) == check
}

// MaskKey returns a display form of a secret that is safe to log or show: the
// first 12 characters and "…" for a well-formed API key (KeyPrefix plus about 30
// bits of its 256), at most 4 characters of anything else that is long enough,
// and just "…" for short strings.
func MaskKey(s string) string {
	switch {
	case LooksLikeKey(s):
		return s[:keyVisibleLen] + maskSuffix
	case len(s) >= 16:
		return s[:4] + maskSuffix
	default:
		return maskSuffix
	}
}

// randomBase62 returns n characters drawn uniformly from base62Alphabet, by
// rejection sampling random bytes (bytes >= 248 are discarded to avoid modulo bias).
func randomBase62(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("auth: read random: %w", err)
		}
		for _, b := range buf {
			if b >= 248 {
				continue
			}
			out = append(out, base62Alphabet[b%62])
			if len(out) == n {
				break
			}
		}
	}
	return string(out), nil
}

// keyChecksum encodes the CRC-32 of body as keyCheckLen base62 digits
// (62^6 > 2^32, so the encoding is exact).
func keyChecksum(body string) string {
	v := crc32.ChecksumIEEE([]byte(body))
	var out [keyCheckLen]byte
	for i := keyCheckLen - 1; i >= 0; i-- {
		out[i] = base62Alphabet[v%62]
		v /= 62
	}
	return string(out[:])
}
