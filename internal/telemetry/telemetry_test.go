package telemetry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
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

// scrape returns what GET /metrics serves.
func scrape(t *testing.T, tel *Telemetry) string {
	t.Helper()
	srv := httptest.NewServer(tel.MetricsHandler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return string(b)
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, l) {
			t.Errorf("metrics lack %s", l)
		}
	}
	if t.Failed() {
		t.Logf("metrics:\n%s", body)
	}
}

func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// TestPolicyDecisionsAreCountedAndTraced evaluates the bundled chain through an
// engine built with the observer: one allow, one deny, one dry run.
func TestPolicyDecisionsAreCountedAndTraced(t *testing.T) {
	tel, rec := newTestTelemetry(t)
	ctx := context.Background()
	e, err := policies.NewEngine(ctx, policies.Config{Observer: tel.PolicyObserver(),
		CacheDir: filepath.Join(os.TempDir(), "ccgateway-test-policy-cache")})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close(ctx)
	chain, err := policies.DefaultChain(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	loadSpans := len(rec.Ended()) // the bundled policies' self-tests at load

	key := abi.Key{ID: "k1", Status: "active", Permissions: abi.Permissions{Models: []string{"claude-sonnet-4-5"}}}
	allowed := abi.Input{Key: key, Request: abi.Request{Endpoint: "/v1/messages", Model: "claude-sonnet-4-5"}}
	denied := allowed
	denied.Request.Model = "opus"
	if d, err := chain.Evaluate(ctx, &allowed); err != nil || !d.Allow {
		t.Fatalf("allowed: %+v %v", d, err)
	}
	if d, err := chain.Evaluate(ctx, &denied); err != nil || d.Allow || d.Code != abi.CodeModelNotAllowed {
		t.Fatalf("denied: %+v %v", d, err)
	}
	if _, err := chain.Evaluate(policies.WithDryRun(ctx), &denied); err != nil {
		t.Fatal(err)
	}

	body := scrape(t, tel)
	wantLines(t, body,
		`ccgateway_policy_decisions_total{allow="false",code="model_not_allowed",policy="permissions"} 1`,
		`ccgateway_policy_decisions_total{allow="true",code="",policy="permissions"} 1`,
		`ccgateway_policy_decisions_total{allow="true",code="",policy="ratelimit"} 2`,
		`ccgateway_policy_chain_decisions_total{allow="false",code="model_not_allowed",policy="permissions"} 1`,
		`ccgateway_policy_chain_decisions_total{allow="true",code="",policy=""} 1`,
		`ccgateway_policy_evaluation_duration_seconds_count{policy="ratelimit"} 2`,
		`ccgateway_policy_chain_duration_seconds_count 2`,
	)
	if strings.Contains(body, "ccgateway_policy_errors_total{") {
		t.Error("a policy error was counted")
	}

	// Three chains of two calls each: every call's span is a child of its chain's.
	spans := rec.Ended()[loadSpans:]
	if len(spans) != 9 {
		t.Fatalf("%d spans, want 9 (3 chains x (1 + 2 calls))", len(spans))
	}
	var chains []sdktrace.ReadOnlySpan
	for _, s := range spans {
		if s.Name() == spanPolicyChain {
			chains = append(chains, s)
		}
	}
	if len(chains) != 3 {
		t.Fatalf("%d chain spans, want 3", len(chains))
	}
	deny := chains[1]
	if a := attrs(deny.Attributes()); a["ccgateway.policy.allow"] != "false" || a["ccgateway.policy.code"] != "model_not_allowed" ||
		a["ccgateway.policy.name"] != "permissions" {
		t.Errorf("deny chain span attributes %v", a)
	}
	if a := attrs(chains[2].Attributes()); a["ccgateway.policy.dry_run"] != "true" {
		t.Errorf("dry-run chain span attributes %v", a)
	}
	var calls int
	for _, s := range spans {
		if s.Name() != spanPolicyCall || s.Parent().SpanID() != deny.SpanContext().SpanID() {
			continue
		}
		calls++
		a := attrs(s.Attributes())
		if a["ccgateway.policy.name"] == "permissions" &&
			(a["ccgateway.policy.allow"] != "false" || a["ccgateway.policy.code"] != "model_not_allowed" || a["ccgateway.policy.version"] != "0") {
			t.Errorf("permissions call span attributes %v", a)
		}
		if s.StartTime().Before(deny.StartTime()) || s.EndTime().After(deny.EndTime()) || !s.EndTime().After(s.StartTime()) {
			t.Errorf("call span [%v, %v] outside its chain's [%v, %v]", s.StartTime(), s.EndTime(), deny.StartTime(), deny.EndTime())
		}
	}
	if calls != 2 {
		t.Errorf("deny chain has %d call spans, want 2", calls)
	}
}

// TestPolicyErrorIsCountedAndTraced feeds the observer a failed call and a chain
// decision without ChainStarted, as another engine might.
func TestPolicyErrorIsCountedAndTraced(t *testing.T) {
	tel, rec := newTestTelemetry(t)
	o := tel.PolicyObserver()
	ctx := context.Background()
	fail := &policies.PolicyError{Policy: "custom", Version: 3, Err: context.DeadlineExceeded}
	o.PolicyEvaluated(ctx, policies.Event{Policy: "custom", Version: 3, Err: fail})
	o.DecisionMade(ctx, policies.Decision{Output: abi.Output{Code: abi.CodePolicyError}, Policy: "custom", Version: 3}, 0, fail)
	wantLines(t, scrape(t, tel),
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
	wantLines(t, scrape(t, tel),
		`ccgateway_http_requests_total{method="GET",route="/things/{id}",status="418"} 2`,
		`ccgateway_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`ccgateway_http_request_duration_seconds_count{method="GET",route="/things/{id}",status="418"} 2`,
		`ccgateway_http_requests_in_flight{method="GET"} 0`,
	)
	spans := rec.Ended()
	if len(spans) != 3 || spans[0].Name() != "GET /things/{id}" || attrs(spans[0].Attributes())["http.response.status_code"] != "418" {
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
	wantLines(t, scrape(t, tel),
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
	o := tel.PolicyObserver()
	ctx := context.Background()
	for i := range n {
		code := fmt.Sprintf("code_%d", i)
		o.PolicyEvaluated(ctx, policies.Event{Policy: fmt.Sprintf("p%d", i%3), Code: code})
		o.DecisionMade(ctx, policies.Decision{Output: abi.Output{Code: code}, Policy: "Bad Name\n"}, 0, nil)
	}
	if err := tel.ObserveProcesses(func() ProcessStats {
		return ProcessStats{ByState: map[string]int{"busy": 1, "weird-1": 2, "weird-2": 3}}
	}); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, tel)
	wantLines(t, body,
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
