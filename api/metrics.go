package api

import (
	"net/http"
	"strings"

	"github.com/ccgateway/ccgateway/internal/auth"
)

// metricsPath serves the Prometheus metrics on the main listener when no
// metrics-listen address is configured.
const metricsPath = "/metrics"

// serveMetrics applies the main listener's rule for GET /metrics: a client
// connected from a loopback address through no proxy (the peer is loopback and the
// request has no X-Forwarded-For or Forwarded header) gets the metrics without a
// token; anyone else needs an admin token. Failed tokens count against the client
// address like any failed authentication.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if !localDirect(r) {
		ip := s.ClientIP(r)
		throttled := s.authThrottled(ip) // a valid token passes anyway, as in authenticate
		h := r.Header.Get("Authorization")
		if len(h) <= 7 || !strings.EqualFold(h[:7], "bearer ") {
			p := throttled
			if p == nil {
				p = NewProblem(http.StatusUnauthorized, CodeUnauthorized,
					"GET /metrics needs an admin token unless it comes straight from a loopback address (or set metrics-listen)")
			}
			WriteProblemHTTP(w, r, p)
			return
		}
		pr, p := s.verifyAdmin(r.Context(), strings.TrimSpace(h[7:]))
		if p != nil {
			if throttled != nil {
				p = throttled
			} else if isAuthFailure(p) {
				s.authFailed(ip)
			}
			WriteProblemHTTP(w, r, p)
			return
		}
		c := CallerFrom(r.Context())
		c.IP, c.Admin = ip, pr.Subject
		if pr.Method != auth.MethodLocal {
			c.Admin = pr.Method + ":" + pr.Subject
		}
	}
	s.Telemetry.MetricsHandler().ServeHTTP(w, r)
}

// localDirect reports whether the TCP peer is a loopback address and the request
// carries no forwarding header: a local scraper, not a client behind a local proxy.
func localDirect(r *http.Request) bool {
	if r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
		return false
	}
	return auth.ClientIP(r, nil).IsLoopback() // no trusted proxies: the TCP peer
}
