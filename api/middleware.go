package api

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"regexp"
	"runtime/debug"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
)

type ctxKey int

const (
	ctxRequestID ctxKey = iota
	ctxCaller
)

// Caller is what authentication learned about the request; the access log reads it
// after the handler ran, so it is a pointer set once per request.
type Caller struct {
	KeyID string
	Admin string
	// AdminLocal says Admin is a local admin (a token from POST /admin/login).
	AdminLocal bool
	IP         netip.Addr
	// UsageOwned is set when the handler records the request's usage itself.
	UsageOwned bool
	// Admitted is set when admission counted the request (its usage event says so).
	Admitted bool
	// Window is the key's requests-per-minute window as admission left it, for
	// the RateLimit response fields (nil when admission did not run).
	Window *actors.MinuteWindow
	// Err is the internal error behind a 5xx answer: logged, never sent.
	Err error
}

var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

// requestID takes a sane incoming X-Request-Id or makes one, and echoes it back.
func requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !validRequestID.MatchString(id) {
			var b [12]byte
			_, _ = rand.Read(b[:])
			id = "req_" + hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), ctxRequestID, id)
		ctx = context.WithValue(ctx, ctxCaller, &Caller{})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WithRequestID returns ctx with request id id (a WebSocket numbers its messages'
// requests after the upgrade's).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxRequestID, id)
}

// RequestIDFrom returns the request id of ctx, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxRequestID).(string)
	return id
}

func CallerFrom(ctx context.Context) *Caller {
	if c, ok := ctx.Value(ctxCaller).(*Caller); ok {
		return c
	}
	return &Caller{}
}

// statusWriter records the status for the access log and keeps streaming and
// hijacking working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError flushes and reports a failed write: http.ResponseController.Flush
// tries it before Flush, so a stream's write deadline is seen at once.
func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		if w.status == 0 {
			w.status = http.StatusSwitchingProtocols
		}
		return h.Hijack()
	}
	return nil, nil, fmt.Errorf("api: response writer cannot hijack")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// accessLog writes one line per request. It logs no header, query string or body:
// keys, tokens and message text never reach the log.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		c := CallerFrom(r.Context())
		attrs := []slog.Attr{
			slog.String("request_id", RequestIDFrom(r.Context())),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)),
		}
		if c.KeyID != "" {
			attrs = append(attrs, slog.String("api_key_id", c.KeyID))
		}
		if c.Admin != "" {
			attrs = append(attrs, slog.String("admin", c.Admin))
		}
		level := slog.LevelInfo
		if c.Err != nil {
			attrs = append(attrs, slog.String("err", c.Err.Error()))
			level = slog.LevelError
		}
		s.Log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// recoverer turns a panic into a 500 problem and logs the stack.
func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					log.Error("panic", "request_id", RequestIDFrom(r.Context()), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
					WriteProblemHTTP(w, r, NewProblem(http.StatusInternalServerError, CodeInternal, "internal error"))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// WriteProblemHTTP writes p as application/problem+json on a plain handler.
func WriteProblemHTTP(w http.ResponseWriter, r *http.Request, p *Problem) {
	p.Instance = r.URL.Path
	p.RequestID = RequestIDFrom(r.Context())
	for k, vs := range p.headers {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// WriteProblem writes p on a huma context.
func WriteProblem(ctx huma.Context, p *Problem) {
	if rp := renderProblem(ctx, p); rp != nil {
		rp.WriteTo(ctx)
		return
	}
	p.Instance = ctx.URL().Path
	p.RequestID = RequestIDFrom(ctx.Context())
	for k, vs := range p.headers {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", "application/problem+json")
	ctx.SetStatus(p.Status)
	_ = json.NewEncoder(ctx.BodyWriter()).Encode(p)
}

// decorateProblems is a huma transformer: every problem an operation answers with
// carries its path and request id, and the internal cause of a 500 goes to the
// access log instead of the client.
func decorateProblems(ctx huma.Context, _ string, v any) (any, error) {
	if p, ok := v.(*Problem); ok {
		if p.Instance == "" {
			p.Instance = ctx.URL().Path
		}
		if p.RequestID == "" {
			p.RequestID = RequestIDFrom(ctx.Context())
		}
		if p.cause != nil {
			CallerFrom(ctx.Context()).Err = p.cause
		}
	}
	return v, nil
}

// installErrorHooks makes huma raise Problems: huma's documented way to choose
// the error type is to set its package-level constructors, once, before any API
// serves. Problems raised by huma itself (validation) carry the path and request
// id too, and take the route's own shape (ProblemRenderer).
func installErrorHooks() { errorHooksOnce.Do(setErrorHooks) }

var errorHooksOnce sync.Once

func setErrorHooks() {
	huma.NewError = NewHumaError
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		var se huma.StatusError
		if status >= 500 && len(errs) == 1 && errs[0] != nil && ctx != nil {
			// A handler returned a plain error: map it like every domain error
			// (a store.ErrNotFound is a 404, not a 500), and keep internal details
			// for the log, out of the response.
			se = ToProblem(errs[0])
		} else {
			se = huma.NewError(status, msg, errs...)
		}
		if p, ok := se.(*Problem); ok && ctx != nil {
			p.Instance = ctx.URL().Path
			p.RequestID = RequestIDFrom(ctx.Context())
			if rp := renderProblem(ctx, p); rp != nil {
				return rp
			}
		}
		return se
	}
}
