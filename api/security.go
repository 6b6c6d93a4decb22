package api

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// clientIP is the request's client address: the peer, or the address a trusted
// proxy put in X-Forwarded-For.
func (s *Server) ClientIP(r *http.Request) netip.Addr {
	return auth.ClientIP(r, s.Config.TrustedProxies)
}

// probePaths stay reachable over plain HTTP under force-https, for load
// balancers' health checks.
var probePaths = []string{"/healthz", "/readyz"}

// httpsPolicy applies force-https (redirect or refuse plain HTTP; a trusted
// proxy's X-Forwarded-Proto counts) and sends HSTS on HTTPS responses.
func (s *Server) httpsPolicy(next http.Handler) http.Handler {
	mode := s.Config.ForceHTTPS
	hsts := ""
	if secs := int64(s.Config.HSTSMaxAge.Seconds()); secs > 0 {
		hsts = "max-age=" + strconv.FormatInt(secs, 10) + "; includeSubDomains"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secure := auth.IsHTTPS(r, s.Config.TrustedProxies)
		if secure && hsts != "" {
			w.Header().Set("Strict-Transport-Security", hsts)
		}
		if secure || mode == "" || mode == ForceHTTPSOff || slices.Contains(probePaths, r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if mode == ForceHTTPSRedirect && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
			http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusPermanentRedirect)
			return
		}
		// A redirected POST would have already sent its body (and key) in clear;
		// refusing tells the client to fix its URL.
		WriteProblemHTTP(w, r, NewProblem(http.StatusForbidden, CodeHTTPSRequired, "this gateway only accepts HTTPS; use https://"+r.Host+r.URL.Path))
	})
}

// securityHeaders marks every response nosniff, and every response of the API
// (/api, /admin, /v1: keys shown once on creation or rotation, admin tokens,
// tenant text) no-store, so that neither a browser nor a shared cache keeps it.
// Health checks and the spec stay cacheable.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if p := r.URL.Path; strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/admin/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// bodyDeadline gives a request body-read-timeout to arrive: a client that sends
// its body slowly (or stops) is cut off. The deadline is lifted as soon as the
// body has been read (or at once when there is none), so SSE streams and
// WebSocket sessions, which read nothing more over HTTP, live as long as they need.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	timeout := s.Config.BodyReadTimeout
	if timeout <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		if rc.SetReadDeadline(time.Now().Add(timeout)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline once the body is read.
type deadlineBody struct {
	io.ReadCloser
	lift func()
	once sync.Once
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.once.Do(b.lift)
	}
	return n, err
}

// Close keeps the deadline unless the body was read: a body cut off by it must
// not then be waited for by the server's drain of what is left.
func (b *deadlineBody) Close() error { return b.ReadCloser.Close() }

// corsAllowHeaders are the request headers a browser client may send.
const corsAllowHeaders = "Authorization, Content-Type, X-Api-Key, X-Request-Id, Idempotency-Key, " + auth.HeaderTimestamp + ", " + auth.HeaderSignature

// corsExposeHeaders are the response headers a browser client may read.
const corsExposeHeaders = "X-Request-Id, Retry-After, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Idempotent-Replayed"

// cors answers preflights and sets Access-Control-Allow-Origin for origins in
// cors-origins ("*" allows any). With no origins configured it does nothing, so
// browsers keep the same-origin policy.
func (s *Server) cors(next http.Handler) http.Handler {
	origins := s.Config.CORSOrigins
	if len(origins) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		allowed := s.originAllowed(origin)
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if allowed {
			w.Header().Set("Access-Control-Allow-Origin", origin)
			w.Header().Set("Access-Control-Expose-Headers", corsExposeHeaders)
		}
		if !preflight {
			next.ServeHTTP(w, r)
			return
		}
		if allowed {
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, OPTIONS")
			w.Header().Set("Access-Control-Allow-Headers", corsAllowHeaders)
			w.Header().Set("Access-Control-Max-Age", "600")
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// originAllowed is the one origin matcher, for CORS and for WebSocket upgrades:
// an origin (scheme://host[:port]) is allowed when cors-origins lists it exactly
// (ASCII case-insensitively) or lists "*". No globs: a pattern such as
// "*.example.com" matches only itself.
func (s *Server) originAllowed(origin string) bool {
	for _, o := range s.Config.CORSOrigins {
		if o == "*" || strings.EqualFold(o, origin) {
			return true
		}
	}
	return false
}

// webSocketOriginAllowed applies originAllowed to a WebSocket upgrade: a request
// without Origin (not a browser) or from the gateway's own origin is allowed.
func (s *Server) WebSocketOriginAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.originAllowed(origin)
}

// checkKeyAccess applies the key's own request rules: the IP allowlist and, when
// the key requires it, the request signature.
func (s *Server) checkKeyAccess(ctx huma.Context, k *store.APIKey, ip netip.Addr) *Problem {
	if len(k.AllowedIPs) > 0 {
		prefixes, err := auth.ParseCIDRs(k.AllowedIPs)
		if err != nil || !auth.AllowedIP(ip, prefixes) {
			return NewProblem(http.StatusForbidden, CodeIPNotAllowed, fmt.Sprintf("this API key may not be used from %s", ip))
		}
	}
	if !k.RequireSignature {
		return nil
	}
	r, _ := humachi.Unwrap(ctx)
	body, p := readAndRestoreBody(r, ctx.Operation().MaxBodyBytes)
	if p != nil {
		return p
	}
	if err := s.signatures.VerifyRequest(k.SigningSecret, r, body); err != nil {
		return ToProblem(err)
	}
	return nil
}

// readAndRestoreBody reads the request body (at most limit bytes) for the
// signature check and puts it back for the handler.
func readAndRestoreBody(r *http.Request, limit int64) ([]byte, *Problem) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if limit <= 0 {
		limit = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	_ = r.Body.Close()
	if err != nil {
		return nil, NewProblem(http.StatusBadRequest, CodeInvalidRequest, "could not read the request body")
	}
	if int64(len(body)) > limit {
		return nil, NewProblem(http.StatusRequestEntityTooLarge, CodeTooLarge, fmt.Sprintf("the body is over %d bytes", limit))
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// authFailed counts a failed authentication against the client's address.
func (s *Server) authFailed(ip netip.Addr) { s.failures.Fail(ip) }

// authThrottled reports whether ip has failed authentication too often; it
// costs no database work.
func (s *Server) authThrottled(ip netip.Addr) *Problem {
	ok, wait := s.failures.Allow(ip)
	if ok {
		return nil
	}
	return NewProblem(http.StatusTooManyRequests, CodeTooManyAuthFailures, "too many failed authentications from this address; wait and retry").withRetryAfter(wait)
}

// reserveAuthAttempt takes one attempt from ip's failed-auth budget before an
// expensive check (a password), or refuses when none is left.
func (s *Server) ReserveAuthAttempt(ip netip.Addr) (auth.Reservation, *Problem) {
	res, ok, wait := s.failures.Reserve(ip)
	if !ok {
		return res, NewProblem(http.StatusTooManyRequests, CodeTooManyAuthFailures, "too many failed authentications from this address; wait and retry").withRetryAfter(wait)
	}
	return res, nil
}

// isAuthFailure reports whether p is the kind of refusal the limiter counts.
func isAuthFailure(p *Problem) bool {
	return p.Status == http.StatusUnauthorized || p.Code == CodeIPNotAllowed || strings.HasPrefix(p.Code, "signature_")
}
