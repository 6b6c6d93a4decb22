package gateway

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// scrape GETs /metrics from the test server (a loopback client) with the given
// headers and returns the status and body.
func (g *gateway) scrape(t *testing.T, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", g.srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsCountPolicyDecisionsAndRequests: a denied chat (no CLI turn) shows
// in the policy and HTTP metrics that GET /metrics serves in the Prometheus format.
func TestMetricsCountPolicyDecisionsAndRequests(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) {
		k.Permissions = store.Permissions{Models: []string{"sonnet"}}
	})
	st, p := g.admitOnly(t, key, api.ChatRequest{Model: "opus"})
	wantDenied(t, "model", st, p, http.StatusForbidden, "model_not_allowed")
	if st, p := g.admitOnly(t, key, api.ChatRequest{Model: "sonnet"}); st != http.StatusNotFound {
		t.Fatalf("allowed request: %d %+v", st, p)
	}

	status, body := g.scrape(t, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	for _, want := range []string{
		`ccgateway_policy_decisions_total{allow="false",code="model_not_allowed",policy="permissions"} 1`,
		`ccgateway_policy_decisions_total{allow="true",code="",policy="permissions"} 1`,
		`ccgateway_policy_decisions_total{allow="true",code="",policy="ratelimit"} 2`,
		`ccgateway_policy_chain_decisions_total{allow="false",code="model_not_allowed",policy="permissions"} 1`,
		`ccgateway_policy_chain_decisions_total{allow="true",code="",policy=""} 1`,
		`ccgateway_policy_evaluation_duration_seconds_count{policy="permissions"} 2`,
		`ccgateway_http_requests_total{method="POST",route="/api/chat",status="403"} 1`,
		`ccgateway_http_requests_total{method="POST",route="/api/chat",status="404"} 1`,
		`ccgateway_http_request_duration_seconds_bucket{method="POST",route="/api/chat",status="403",le="+Inf"} 1`,
		`ccgateway_http_requests_in_flight{method="GET"} 1`, // the scrape itself
		"# TYPE ccgateway_http_request_duration_seconds histogram",
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", grepLines(body, "ccgateway_"))
	}
}

// TestMetricsAccessRule: on the main listener, /metrics is for direct loopback
// clients and admin tokens; with metrics-listen set it is not there at all.
func TestMetricsAccessRule(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := http.Header{"Authorization": {"Bearer " + g.adminToken()}}
	remote := func(h http.Header) int {
		r := httptest.NewRequest("GET", "/metrics", nil)
		r.RemoteAddr = "192.0.2.7:40000"
		for k, vs := range h {
			r.Header[k] = vs
		}
		w := httptest.NewRecorder()
		g.node().Handler().ServeHTTP(w, r)
		return w.Code
	}
	tests := []struct {
		name string
		do   func() int
		want int
	}{
		{"loopback", func() int { st, _ := g.scrape(t, nil); return st }, http.StatusOK},
		{"loopback through a proxy", func() int {
			st, _ := g.scrape(t, http.Header{"X-Forwarded-For": {"198.51.100.1"}})
			return st
		}, http.StatusUnauthorized},
		{"loopback through a proxy, admin", func() int {
			h := adminTok.Clone()
			h.Set("Forwarded", "for=198.51.100.1")
			st, _ := g.scrape(t, h)
			return st
		}, http.StatusOK},
		{"remote", func() int { return remote(nil) }, http.StatusUnauthorized},
		{"remote, bad token", func() int { return remote(http.Header{"Authorization": {"Bearer not.a.jwt"}}) }, http.StatusUnauthorized},
		{"remote, API key", func() int {
			key, _ := g.newKey(store.KeyActive)
			return remote(http.Header{"Authorization": {"Bearer " + key}})
		}, http.StatusUnauthorized},
		{"remote, admin", func() int { return remote(adminTok) }, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.do(); got != tt.want {
				t.Fatalf("got %d, want %d", got, tt.want)
			}
		})
	}

	t.Run("metrics-listen moves it off the main listener", func(t *testing.T) {
		g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) { cfg.MetricsListen = "127.0.0.1:0" })
		resp, _ := g.do(context.Background(), "GET", "/metrics", "", nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET /metrics on the main listener: %d, want 404", resp.StatusCode)
		}
	})
}

func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
