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

// Sign returns the X-CCG-Signature value for a request: "v1=" and the hex
// HMAC-SHA256, keyed with the whole signing secret, of
//
//	timestamp + "\n" + METHOD + "\n" + path?query + "\n" + hex(sha256(body))
//
// where timestamp is ts in decimal (the X-CCG-Timestamp value), METHOD is upper
// case, and path?query is the request target exactly as sent (r.URL.RequestURI()).
func Sign(secret string, ts int64, method, path string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(signatureMAC(secret, ts, method, path, body))
}

func signatureMAC(secret string, ts int64, method, path string, body []byte) []byte {
	bodySum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "\n" + strings.ToUpper(method) + "\n" + path + "\n"))
	m.Write([]byte(hex.EncodeToString(bodySum[:])))
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
// same signature, so the second is refused as a replay.
type SignatureVerifier struct {
	window     time.Duration
	maxEntries int
	now        func() time.Time

	mu       sync.Mutex
	seen     map[[sha256.Size]byte]int64 // signature -> unix second after which it is stale
	expiry   expiryHeap
	onAccept func(sig [sha256.Size]byte, staleAt int64)
}

// OnAccept sets fn to be called with every signature this verifier accepts and
// the unix second after which it is stale (in a cluster: to broadcast it). fn
// must not block. Call it before the verifier is shared.
func (v *SignatureVerifier) OnAccept(fn func(sig [sha256.Size]byte, staleAt int64)) { v.onAccept = fn }

// Remember records a signature another node accepted, so that its replay is
// refused here too. A stale or already recorded one is ignored.
func (v *SignatureVerifier) Remember(sig [sha256.Size]byte, staleAt int64) {
	now := v.now().Unix()
	if staleAt < now {
		return
	}
	_ = v.remember(sig, staleAt, now)
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
		seen: make(map[[sha256.Size]byte]int64),
	}
}

// VerifyRequest verifies r's signature headers against secret; body is the
// request body the caller has already read.
func (v *SignatureVerifier) VerifyRequest(secret string, r *http.Request, body []byte) error {
	return v.Verify(secret, r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature),
		r.Method, r.URL.RequestURI(), body)
}

// Verify checks one request's timestamp and signature header values. Errors are
// ErrSignatureMissing, ErrSignatureInvalid, ErrSignatureExpired,
// ErrSignatureReplayed or ErrReplayCacheFull.
func (v *SignatureVerifier) Verify(secret, timestamp, signature, method, path string, body []byte) error {
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
	if !hmac.Equal(got[:], signatureMAC(secret, ts, method, path, body)) {
		return ErrSignatureInvalid
	}
	if err := v.remember(got, ts+win, now); err != nil {
		return err
	}
	if v.onAccept != nil {
		v.onAccept(got, ts+win)
	}
	return nil
}

// remember records sig until staleAt, refusing it if already recorded.
func (v *SignatureVerifier) remember(sig [sha256.Size]byte, staleAt, now int64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	for len(v.expiry) > 0 && v.expiry[0].staleAt < now {
		delete(v.seen, heap.Pop(&v.expiry).(expiryEntry).sig)
	}
	if _, dup := v.seen[sig]; dup {
		return ErrSignatureReplayed
	}
	if len(v.seen) >= v.maxEntries {
		return ErrReplayCacheFull
	}
	v.seen[sig] = staleAt
	heap.Push(&v.expiry, expiryEntry{staleAt: staleAt, sig: sig})
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
