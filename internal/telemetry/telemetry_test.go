package telemetry

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func newTestTelemetry(t *testing.T) (*Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tel, err := New(Config{Version: "test", SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, rec
}

// TestPolicyErrorIsCountedAndTraced records a failed call and a chain decision
// without StartPolicyChain, as another engine might.
func TestPolicyErrorIsCountedAndTraced(t *testing.T) {
	tel, rec := newTestTelemetry(t)
	ctx := context.Background()
	fail := fmt.Errorf("policy custom v3: %w", context.DeadlineExceeded)
	tel.RecordPolicyCall(ctx, PolicyCall{Policy: "custom", Version: 3, Err: fail})
	tel.RecordPolicyChain(ctx, PolicyChain{Code: "policy_error", Policy: "custom", Version: 3, Err: fail})
	testkit.WantMetricLines(t, testkit.ScrapeMetrics(t, tel.MetricsHandler()),
		`ccgateway_policy_decisions_total{allow="false",code="policy_error",policy="custom"} 1`,
		`ccgateway_policy_errors_total{policy="custom"} 1`,
		`ccgateway_policy_chain_decisions_total{allow="false",code="policy_error",policy="custom"} 1`,
	)
	spans := rec.Ended()
	if len(spans) != 2 {
		t.Fatalf("%d spans, want 2", len(spans))
	}
	for _, s := range spans {
		if s.Status().Code.String() != "Error" || len(s.Events()) == 0 {
			t.Errorf("span %s: status %v, %d events; want an error status and the recorded error", s.Name(), s.Status(), len(s.Events()))
		}
	}
}

func TestHTTPMiddleware(t *testing.T) {
	tel, rec := newTestTelemetry(t)
	r := chi.NewRouter()
	r.Use(tel.HTTPMiddleware)
	r.Get("/things/{id}", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	srv := httptest.NewServer(r)
	defer srv.Close()
	for _, path := range []string{"/things/1", "/things/2", "/nowhere"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	testkit.WantMetricLines(t, testkit.ScrapeMetrics(t, tel.MetricsHandler()),
		`ccgateway_http_requests_total{method="GET",route="/things/{id}",status="418"} 2`,
		`ccgateway_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`ccgateway_http_request_duration_seconds_count{method="GET",route="/things/{id}",status="418"} 2`,
		`ccgateway_http_requests_in_flight{method="GET"} 0`,
	)
	spans := rec.Ended()
	if len(spans) != 3 || spans[0].Name() != "GET /things/{id}" || testkit.SpanAttrs(spans[0].Attributes())["http.response.status_code"] != "418" {
		t.Fatalf("spans %v", spans)
	}
}

func TestProcessGauges(t *testing.T) {
	tel, _ := newTestTelemetry(t)
	if err := tel.ObserveProcesses(func() ProcessStats {
		return ProcessStats{ByState: map[string]int{"busy": 2, "idle": 1}, Queued: 4, MaxProcesses: 10, MaxQueue: 100}
	}); err != nil {
		t.Fatal(err)
	}
	testkit.WantMetricLines(t, testkit.ScrapeMetrics(t, tel.MetricsHandler()),
		`ccgateway_cli_processes{state="busy"} 2`,
		`ccgateway_cli_processes{state="idle"} 1`,
		`ccgateway_cli_processes{state="prewarmed"} 0`,
		`ccgateway_cli_queue_length 4`,
		`ccgateway_cli_max_processes 10`,
		`ccgateway_cli_max_queue 100`,
	)
}

// TestMetricLabelsAreAClosedSet replays the review's attack: requests with random
// methods (and a policy guest that invents deny codes) must not add series. Each
// label takes a value from a fixed set or "other", so the exposition stays small
// however many distinct values clients send.
func TestMetricLabelsAreAClosedSet(t *testing.T) {
	tel, rec := newTestTelemetry(t)
	r := chi.NewRouter()
	r.Use(tel.HTTPMiddleware)
	r.Get("/things/{id}", func(w http.ResponseWriter, r *http.Request) {})
	r.HandleFunc("/any", func(w http.ResponseWriter, r *http.Request) {})
	srv := httptest.NewServer(r)
	defer srv.Close()
	const n = 300
	for i := range n {
		for _, path := range []string{"/things/1", "/any", fmt.Sprintf("/nowhere/%d", i)} {
			req, _ := http.NewRequest(fmt.Sprintf("M%dX", i), srv.URL+path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	ctx := context.Background()
	for i := range n {
		code := fmt.Sprintf("code_%d", i)
		tel.RecordPolicyCall(ctx, PolicyCall{Policy: fmt.Sprintf("p%d", i%3), Code: code})
		tel.RecordPolicyChain(ctx, PolicyChain{Code: code, Policy: "Bad Name\n"})
	}
	if err := tel.ObserveProcesses(func() ProcessStats {
		return ProcessStats{ByState: map[string]int{"busy": 1, "weird-1": 2, "weird-2": 3}}
	}); err != nil {
		t.Fatal(err)
	}
	body := testkit.ScrapeMetrics(t, tel.MetricsHandler())
	testkit.WantMetricLines(t, body,
		// chi answers an unknown method 405 before it routes.
		fmt.Sprintf(`ccgateway_http_requests_total{method="other",route="unmatched",status="405"} %d`, 3*n),
		`ccgateway_http_requests_in_flight{method="other"} 0`,
		`ccgateway_policy_chain_decisions_total{allow="false",code="other",policy="other"}`,
		`ccgateway_cli_processes{state="other"} 5`,
	)
	series := 0
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "ccgateway_") && !strings.Contains(l, "_bucket{") {
			series++
			if strings.Contains(l, `method="M`) || strings.Contains(l, "weird") || strings.Contains(l, "Bad Name") {
				t.Errorf("a client-chosen label value became a series: %s", l)
			}
		}
	}
	// Codes: at most maxLabelValues distinct ones plus "other" on each of two
	// counters; a few HTTP, duration and gauge series besides.
	if series > 2*(maxLabelValues+1)+40 {
		t.Errorf("%d ccgateway series after %d distinct methods and codes; want a bounded set", series, n)
	}
	for _, s := range rec.Ended() {
		if strings.HasPrefix(s.Name(), "M") {
			t.Fatalf("span named after a client method: %q", s.Name())
		}
	}
}
