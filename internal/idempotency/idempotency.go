// Package idempotency implements the Idempotency-Key header of POST creates
// (draft-ietf-httpapi-idempotency-key-header): the first answer to a key is kept
// for a day, a retry with the same key and body gets that answer again (marked
// Idempotent-Replayed: true) without running anything, a retry with another body
// is refused with 422, and a retry while the first request still runs with 409.
// Answers a retry may fix (429, 5xx, a client that went away) are not kept.
// Records live in the store's idempotency_keys table, so every node of a cluster
// sees them; a claim is one statement, so of two concurrent first requests only
// one runs.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// DefaultTTL is how long a key's first answer is kept unless Config.TTL says
// otherwise; the retention sweeper purges older records.
const DefaultTTL = 24 * time.Hour

// Header is the request header that carries the key.
const Header = "Idempotency-Key"

// ReplayedHeader marks an answer that was replayed from the record.
const ReplayedHeader = "Idempotent-Replayed"

// Store is the part of store.Store the middleware uses.
type Store interface {
	ClaimIdempotencyKey(ctx context.Context, r *store.IdempotencyRecord, notBefore time.Time) (*store.IdempotencyRecord, error)
	CompleteIdempotencyKey(ctx context.Context, r *store.IdempotencyRecord) error
	ReleaseIdempotencyKey(ctx context.Context, scope, operation, key string) error
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
}

// Purge deletes the records older than the TTL; the node's retention sweeper
// calls it.
func (m *Middleware) Purge(ctx context.Context) (int64, error) {
	return m.store.PurgeIdempotencyKeys(ctx, m.now().Add(-m.cfg.TTL))
}

// Config sets how long answers are kept and how large they may be.
type Config struct {
	TTL time.Duration // how long a key's first answer is kept; 0 = 24 h
	// Abandoned is how old an in-flight record may get before it counts as
	// abandoned (its node died mid-request) and a retry may run; 0 = 15 min,
	// longer than any turn.
	Abandoned time.Duration
	// MaxBody caps the request body hashed and the answer kept (each); a larger
	// answer is not kept (the key is released). 0 = 4 MiB.
	MaxBody int
}

// Refusal is a request the middleware answers itself: Status and a stable Code.
type Refusal struct {
	Status int
	Code   string
	Detail string
}

// Codes of the refusals.
const (
	CodeInvalidKey = "idempotency_key_invalid"     // 400
	CodeInProgress = "idempotency_key_in_progress" // 409
	CodeKeyReused  = "idempotency_key_reused"      // 422
	CodeStore      = "idempotency_unavailable"     // 503
)

// Middleware wraps create operations.
type Middleware struct {
	store  Store
	cfg    Config
	log    *slog.Logger
	refuse func(http.ResponseWriter, *http.Request, Refusal)
	now    func() time.Time
}

// New returns a Middleware; refuse writes a refusal in the caller's error shape
// (an RFC 9457 problem, or a compatible dialect's error) for Wrap, and may be
// nil when only Check is used.
func New(st Store, cfg Config, log *slog.Logger, refuse func(http.ResponseWriter, *http.Request, Refusal)) *Middleware {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.Abandoned <= 0 {
		cfg.Abandoned = 15 * time.Minute
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 4 << 20
	}
	return &Middleware{store: st, cfg: cfg, log: log, refuse: refuse, now: time.Now}
}

// Request is what a key is checked against: whose key (Scope: the
// authenticated API key id, or "admin:" and the admin's subject), the operation,
// the key, and the request that must match the first one (method, path, body).
type Request struct {
	Scope, Operation, Key string
	Method, Path          string
	Body                  []byte
}

// Answer is a response as the wrapped operation gave it. Cut says it is not
// the whole answer (larger than MaxBody, or the client went away): it is not
// kept, and the key is released.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
	Cut    bool
}

// Claim is a key held for a request that runs now; exactly one of Finish and
// Release ends it.
type Claim struct {
	m   *Middleware
	rec *store.IdempotencyRecord
}

// MaxBody is how much of a request body is hashed and of an answer kept.
func (m *Middleware) MaxBody() int { return m.cfg.MaxBody }

// Check validates q's key and claims it. It returns a Claim when the request is
// to run; otherwise the first answer to replay (marked with ReplayedHeader by
// Replay), or a refusal: 400 for an invalid key, 422 for a key used with
// another request, 409 while the first request still runs, 503 when the store
// does not answer.
func (m *Middleware) Check(ctx context.Context, q Request) (*Claim, *store.IdempotencyRecord, *Refusal) {
	if !validKey(q.Key) {
		return nil, nil, &Refusal{http.StatusBadRequest, CodeInvalidKey, "the Idempotency-Key header must be 1 to 255 visible ASCII characters"}
	}
	h := sha256.New()
	io.WriteString(h, q.Method+" "+q.Path+"\n")
	h.Write(q.Body)
	rec := &store.IdempotencyRecord{Scope: q.Scope, Operation: q.Operation, Key: q.Key, RequestHash: hex.EncodeToString(h.Sum(nil))}
	ctx = context.WithoutCancel(ctx)
	prev, err := m.store.ClaimIdempotencyKey(ctx, rec, m.now().Add(-m.cfg.TTL))
	if err == nil && prev != nil && prev.Status == 0 && m.now().Sub(prev.CreatedAt) > m.cfg.Abandoned {
		m.release(ctx, prev)
		prev, err = m.store.ClaimIdempotencyKey(ctx, rec, m.now().Add(-m.cfg.TTL))
	}
	switch {
	case err != nil:
		m.log.Warn("idempotency: claim failed", "operation", q.Operation, "err", err)
		return nil, nil, &Refusal{http.StatusServiceUnavailable, CodeStore, "the Idempotency-Key could not be checked; retry later"}
	case prev != nil && prev.RequestHash != rec.RequestHash:
		return nil, nil, &Refusal{http.StatusUnprocessableEntity, CodeKeyReused, "this Idempotency-Key was used within the last 24 hours with a different request"}
	case prev != nil && prev.Status == 0:
		return nil, nil, &Refusal{http.StatusConflict, CodeInProgress, "a request with this Idempotency-Key is still running; retry when it has finished"}
	case prev != nil:
		return nil, prev, nil
	}
	return &Claim{m: m, rec: rec}, nil, nil
}

// Finish keeps a final answer for the key's retries (headers that belong to one
// exchange left out) and releases the key for any other: a 429 or 5xx (a retry
// may succeed), no answer at all, or a cut one.
func (c *Claim) Finish(ctx context.Context, a Answer) {
	ctx = context.WithoutCancel(ctx)
	if !keep(a.Status) || a.Cut {
		c.m.release(ctx, c.rec)
		return
	}
	rec := *c.rec
	rec.Status, rec.Header, rec.Body = a.Status, kept(a.Header), a.Body
	if err := c.m.store.CompleteIdempotencyKey(ctx, &rec); err != nil {
		c.m.log.Warn("idempotency: could not keep the answer", "operation", rec.Operation, "err", err)
		c.m.release(ctx, c.rec)
	}
}

// Release forgets the claim: the request did not get an answer worth keeping.
func (c *Claim) Release(ctx context.Context) { c.m.release(context.WithoutCancel(ctx), c.rec) }

// Wrap applies the key to operation on a plain handler. scope names whose key it
// is (the authenticated API key id, or the admin subject); a request without a
// key, or with an empty scope, runs as is.
func (m *Middleware) Wrap(operation string, scope func(*http.Request) string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Header.Get(Header)
		owner := ""
		if key != "" {
			owner = scope(r)
		}
		if key == "" || owner == "" {
			next.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, int64(m.cfg.MaxBody)+1))
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
		claim, prev, refusal := m.Check(r.Context(), Request{Scope: owner, Operation: operation, Key: key,
			Method: r.Method, Path: r.URL.Path, Body: body})
		switch {
		case refusal != nil:
			if refusal.Status == http.StatusConflict {
				w.Header().Set("Retry-After", "1")
			}
			m.refuse(w, r, *refusal)
			return
		case prev != nil:
			replay(w, prev)
			return
		}
		cw := &captureWriter{ResponseWriter: w, max: m.cfg.MaxBody}
		defer func() {
			if p := recover(); p != nil {
				claim.Release(r.Context())
				panic(p)
			}
		}()
		next.ServeHTTP(cw, r)
		claim.Finish(r.Context(), Answer{Status: cw.status, Header: w.Header(), Body: cw.body.Bytes(),
			Cut: cw.overflow || r.Context().Err() != nil})
	})
}

func (m *Middleware) release(ctx context.Context, rec *store.IdempotencyRecord) {
	if err := m.store.ReleaseIdempotencyKey(ctx, rec.Scope, rec.Operation, rec.Key); err != nil {
		m.log.Warn("idempotency: could not release a key", "operation", rec.Operation, "err", err)
	}
}

// keep reports whether an answer is final: not a 429 or 5xx (a retry may
// succeed).
func keep(status int) bool {
	return status != 0 && status != http.StatusTooManyRequests && status < 500
}

func validKey(k string) bool {
	if len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// unkept are the headers that belong to one exchange, not to the answer: its
// date, length and request id, cookies, the rate-limit window of the moment, and
// what the CORS and HTTPS middleware set for the client that sent it.
var unkept = map[string]bool{
	"Date": true, "Content-Length": true, "X-Request-Id": true, "Set-Cookie": true,
	"Ratelimit-Limit": true, "Ratelimit-Remaining": true, "Ratelimit-Reset": true,
	"Access-Control-Allow-Origin": true, "Access-Control-Allow-Credentials": true,
	"Access-Control-Expose-Headers": true, "Vary": true, "Strict-Transport-Security": true,
	"Idempotent-Replayed": true,
}

func kept(h http.Header) map[string][]string {
	out := map[string][]string{}
	for k, v := range h {
		if !unkept[http.CanonicalHeaderKey(k)] {
			out[k] = v
		}
	}
	return out
}

func replay(w http.ResponseWriter, rec *store.IdempotencyRecord) {
	for k, v := range rec.Header {
		w.Header()[k] = v
	}
	w.Header().Set(ReplayedHeader, "true")
	w.WriteHeader(rec.Status)
	_, _ = w.Write(rec.Body)
}

// captureWriter passes the answer through and keeps a copy (up to max bytes).
type captureWriter struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	max      int
	overflow bool
}

func (c *captureWriter) WriteHeader(code int) {
	if c.status == 0 && code >= 200 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *captureWriter) Write(p []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.body.Len()+len(p) > c.max {
		c.overflow = true
	} else {
		c.body.Write(p)
	}
	return c.ResponseWriter.Write(p)
}

func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError flushes and reports a failed write: http.ResponseController.Flush
// tries it before Flush, so a stream's write deadline is seen at once.
func (w *captureWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *captureWriter) Unwrap() http.ResponseWriter { return c.ResponseWriter }
