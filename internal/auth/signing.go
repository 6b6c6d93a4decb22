package auth

import (
	"container/heap"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Request signing headers.
const (
	HeaderTimestamp = "X-CCG-Timestamp" // unix seconds, plain decimal
	HeaderSignature = "X-CCG-Signature" // "v1=" + hex HMAC-SHA256
	signaturePrefix = "v1="
)

// SignedHeaders are the request headers a signature covers when the request
// carries them: every header that changes what a request does (which stored
// conversation it continues) must be here, or a signed request could be
// redirected in transit without breaking its signature.
var SignedHeaders = []string{"X-Conversation-Id"}

// Sign returns the X-CCG-Signature value for a request: "v1=" and the hex
// HMAC-SHA256, keyed with the whole signing secret, of
//
//	timestamp + "\n" + METHOD + "\n" + path?query + "\n" + hex(sha256(body))
//
// where timestamp is ts in decimal (the X-CCG-Timestamp value), METHOD is upper
// case, and path?query is the request target exactly as sent (r.URL.RequestURI()).
// A request that carries any of SignedHeaders must be signed with SignRequest.
func Sign(secret string, ts int64, method, path string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(signatureMAC(secret, ts, method, path, "", body))
}

// SignRequest returns the X-CCG-Signature value for r: as Sign, followed, for each
// of SignedHeaders that r carries, in that order, by
//
//	"\n" + lower-case name + ":" + value
//
// so that a request without those headers has the same signature as with Sign.
func SignRequest(secret string, ts int64, r *http.Request, body []byte) string {
	return signaturePrefix + hex.EncodeToString(signatureMAC(secret, ts, r.Method, r.URL.RequestURI(), signedHeaderLines(r.Header), body))
}

// signedHeaderLines is the canonical form of the SignedHeaders h carries.
func signedHeaderLines(h http.Header) string {
	var b strings.Builder
	for _, name := range SignedHeaders {
		if vs, ok := h[http.CanonicalHeaderKey(name)]; ok {
			b.WriteString("\n" + strings.ToLower(name) + ":" + strings.Join(vs, ","))
		}
	}
	return b.String()
}

func signatureMAC(secret string, ts int64, method, path, headers string, body []byte) []byte {
	bodySum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + strings.ToUpper(method) + "\n" + path + "\n"))
	m.Write([]byte(hex.EncodeToString(bodySum[:])))
	m.Write([]byte(headers))
	return m.Sum(nil)
}

// SignatureVerifier checks signed requests: the timestamp must be within the
// window of now (either way), the HMAC must match, and a signature is accepted
// only once while its timestamp is within the window. It is safe for concurrent
// use.
//
// The replay cache is per process; in a cluster each accepted signature is handed
// to OnAccept, which broadcasts it, and the other nodes record it with Remember,
// so a replay sent to another node is refused too (a replay racing the original
// to two nodes within the broadcast's delay, under a millisecond on a LAN, is
// not). Two identical requests (same second, method, target and body) have the
// same signature, so the second is refused as a replay. The cache is bounded per
// signing secret, so a key that fills its share refuses only its own requests,
// never another key's.
type SignatureVerifier struct {
	window     time.Duration
	maxEntries int // per signing secret
	now        func() time.Time

	mu       sync.Mutex
	keys     map[[sha256.Size]byte]*replayCache // by SHA-256 of the signing secret
	onAccept func(key, sig [sha256.Size]byte, staleAt int64)
}

// OnAccept sets fn to be called with every signature this verifier accepts, the
// SHA-256 of the signing secret it was made with (the replay cache's key) and the
// unix second after which it is stale (in a cluster: to broadcast it). fn must
// not block. Call it before the verifier is shared.
func (v *SignatureVerifier) OnAccept(fn func(key, sig [sha256.Size]byte, staleAt int64)) {
	v.onAccept = fn
}

// Remember records a signature another node accepted for the signing secret whose
// SHA-256 is key, so that its replay is refused here too. A stale or already
// recorded one is ignored.
func (v *SignatureVerifier) Remember(key, sig [sha256.Size]byte, staleAt int64) {
	now := v.now().Unix()
	if staleAt < now {
		return
	}
	_ = v.remember(key, sig, staleAt, now)
}

// replayCache remembers one signing secret's accepted signatures.
type replayCache struct {
	seen   map[[sha256.Size]byte]int64 // signature -> unix second after which it is stale
	expiry expiryHeap
}

// NewSignatureVerifier returns a verifier for cfg. WithClock is the only option
// it uses.
func NewSignatureVerifier(cfg SigningConfig, opts ...Option) *SignatureVerifier {
	o := buildOptions(opts)
	if cfg.Window <= 0 {
		cfg.Window = DefaultSignatureWindow
	}
	if cfg.ReplayCacheSize <= 0 {
		cfg.ReplayCacheSize = DefaultReplayCacheSize
	}
	return &SignatureVerifier{
		window: cfg.Window, maxEntries: cfg.ReplayCacheSize, now: o.now,
		keys: make(map[[sha256.Size]byte]*replayCache),
	}
}

// VerifyRequest verifies r's signature headers against secret; body is the
// request body the caller has already read. The signature covers the
// SignedHeaders r carries (see SignRequest).
func (v *SignatureVerifier) VerifyRequest(secret string, r *http.Request, body []byte) error {
	return v.verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature),
		r.Method, r.URL.RequestURI(), signedHeaderLines(r.Header), body)
}

// Verify checks one request's timestamp and signature header values, for a
// request that carries none of SignedHeaders. Errors are ErrSignatureMissing,
// ErrSignatureInvalid, ErrSignatureExpired, ErrSignatureReplayed or
// ErrReplayCacheFull.
func (v *SignatureVerifier) Verify(secret, timestamp, signature, method, path string, body []byte) error {
	return v.verify(secret, timestamp, signature, method, path, "", body)
}

func (v *SignatureVerifier) verify(secret, timestamp, signature, method, path, headers string, body []byte) error {
	if timestamp == "" || signature == "" {
		return ErrSignatureMissing
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || strconv.FormatInt(ts, 10) != timestamp {
		return fmt.Errorf("%w: malformed %s", ErrSignatureInvalid, HeaderTimestamp)
	}
	now := v.now().Unix()
	win := int64(v.window / time.Second)
	if ts < now-win || ts > now+win {
		return ErrSignatureExpired
	}
	hexSig, ok := strings.CutPrefix(signature, signaturePrefix)
	var got [sha256.Size]byte
	if !ok || len(hexSig) != 2*sha256.Size { // checked first: hex.Decode panics on a short dst
		return fmt.Errorf("%w: malformed %s", ErrSignatureInvalid, HeaderSignature)
	}
	if _, err := hex.Decode(got[:], []byte(hexSig)); err != nil {
		return fmt.Errorf("%w: malformed %s", ErrSignatureInvalid, HeaderSignature)
	}
	if !hmac.Equal(got[:], signatureMAC(secret, ts, method, path, headers, body)) {
		return ErrSignatureInvalid
	}
	key := sha256.Sum256([]byte(secret))
	if err := v.remember(key, got, ts+win, now); err != nil {
		return err
	}
	if v.onAccept != nil {
		v.onAccept(key, got, ts+win)
	}
	return nil
}

// remember records sig for the secret whose hash is key until staleAt, refusing
// it if already recorded.
func (v *SignatureVerifier) remember(key, sig [sha256.Size]byte, staleAt, now int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.keys[key]
	if c == nil {
		c = &replayCache{seen: make(map[[sha256.Size]byte]int64)}
		v.keys[key] = c
	}
	for len(c.expiry) > 0 && c.expiry[0].staleAt < now {
		delete(c.seen, heap.Pop(&c.expiry).(expiryEntry).sig)
	}
	if _, dup := c.seen[sig]; dup {
		return ErrSignatureReplayed
	}
	if len(c.seen) >= v.maxEntries {
		return ErrReplayCacheFull
	}
	c.seen[sig] = staleAt
	heap.Push(&c.expiry, expiryEntry{staleAt: staleAt, sig: sig})
	return nil
}

type expiryEntry struct {
	staleAt int64
	sig     [sha256.Size]byte
}

// expiryHeap is a min-heap of replay cache entries by staleAt, so pruning only
// touches entries that are actually stale.
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].staleAt < h[j].staleAt }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
