package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// argon2Params are the cost parameters of one argon2id hash.
type argon2Params struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
	saltLen   int
	keyLen    uint32
}

// New hashes use m=64 MiB, t=2, p=2: above the OWASP minimums (m=19 MiB,t=2 or
// m=46 MiB,t=1), the memory of RFC 9106's second recommendation with one pass
// fewer, and measured about 43 ms per hash on a shared 2-core AMD EPYC (t=1 took
// 23–32 ms, t=3 65–80 ms). Admin logins are rare, so 43 ms is cheap; the cost that
// matters is 64 MiB per concurrent verification, which is why callers check the
// failure limiter first. Stored hashes carry their own parameters, so these can be
// raised later; NeedsRehash tells callers when.
const (
	pwMemoryKiB = 64 * 1024
	pwTime      = 2
	pwThreads   = 2
	pwSaltLen   = 16
	pwKeyLen    = 32
)

// Bounds on parameters accepted from a stored hash, so a corrupted or hostile
// row cannot make one verification allocate gigabytes or spin for minutes.
const (
	maxArgonMemoryKiB = 1 << 20 // 1 GiB
	maxArgonTime      = 16
	maxArgonKeyLen    = 128
	maxArgonSaltLen   = 64
)

// HashPassword returns an argon2id hash of pw in the PHC string format,
// $argon2id$v=19$m=65536,t=2,p=2$<salt>$<hash>, with a fresh random salt.
func HashPassword(pw string) (string, error) {
	if pw == "" {
		return "", ErrEmptyPassword
	}
	p := argon2Params{memoryKiB: pwMemoryKiB, time: pwTime, threads: pwThreads, saltLen: pwSaltLen, keyLen: pwKeyLen}
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: read random: %w", err)
	}
	sum := argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, p.keyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memoryKiB, p.time, p.threads, base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(sum)), nil
}

// VerifyPassword reports whether pw matches the encoded argon2id hash. The
// comparison is constant-time. A mismatch is (false, nil); an error (wrapping
// ErrInvalidHash) means the stored hash itself is unusable.
func VerifyPassword(encoded, pw string) (bool, error) {
	p, salt, want, err := decodePasswordHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded was made with parameters other than the
// current ones (or cannot be parsed), so a caller that has just verified the
// password should store a fresh HashPassword result.
func NeedsRehash(encoded string) bool {
	p, salt, sum, err := decodePasswordHash(encoded)
	if err != nil {
		return true
	}
	return p.memoryKiB != pwMemoryKiB || p.time != pwTime || p.threads != pwThreads ||
		len(salt) != pwSaltLen || len(sum) != pwKeyLen
}

// decodePasswordHash parses a PHC argon2id string and bounds its parameters.
func decodePasswordHash(encoded string) (p argon2Params, salt, sum []byte, err error) {
	bad := func(why string) (argon2Params, []byte, []byte, error) {
		return argon2Params{}, nil, nil, fmt.Errorf("%w: %s", ErrInvalidHash, why)
	}
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" {
		return bad("not a PHC string")
	}
	if parts[1] != "argon2id" {
		return bad("algorithm is not argon2id")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return bad("unsupported argon2 version")
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return bad("malformed parameters")
		}
		n, perr := strconv.ParseUint(v, 10, 32)
		if perr != nil {
			return bad("malformed parameter " + k)
		}
		switch k {
		case "m":
			p.memoryKiB = uint32(n)
		case "t":
			p.time = uint32(n)
		case "p":
			if n > 255 {
				return bad("parallelism out of range")
			}
			p.threads = uint8(n)
		default:
			return bad("unknown parameter " + k)
		}
	}
	if p.time < 1 || p.time > maxArgonTime || p.threads < 1 ||
		p.memoryKiB < 8*uint32(p.threads) || p.memoryKiB > maxArgonMemoryKiB {
		return bad("parameters out of range")
	}
	if salt, err = base64.RawStdEncoding.DecodeString(parts[4]); err != nil || len(salt) < 8 || len(salt) > maxArgonSaltLen {
		return bad("bad salt")
	}
	if sum, err = base64.RawStdEncoding.DecodeString(parts[5]); err != nil || len(sum) < 16 || len(sum) > maxArgonKeyLen {
		return bad("bad hash")
	}
	p.saltLen, p.keyLen = len(salt), uint32(len(sum))
	return p, salt, sum, nil
}
