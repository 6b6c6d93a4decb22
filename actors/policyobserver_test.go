package actors

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

func newObservedTelemetry(t *testing.T) (*telemetry.Telemetry, *tracetest.SpanRecorder) {
	t.Helper()
	rec := tracetest.NewSpanRecorder()
	tel, err := telemetry.New(telemetry.Config{Version: "test", SpanProcessors: []sdktrace.SpanProcessor{rec}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel, rec
}

// TestPolicyDecisionsAreCountedAndTraced evaluates the bundled chain through an
// engine built with PolicyObserver: one allow, one deny, one dry run.
func TestPolicyDecisionsAreCountedAndTraced(t *testing.T) {
	tel, rec := newObservedTelemetry(t)
	ctx := context.Background()
	e, err := policies.NewEngine(ctx, policies.Config{Observer: PolicyObserver(tel),
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

	body := testkit.ScrapeMetrics(t, tel.MetricsHandler())
	testkit.WantMetricLines(t, body,
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
		if s.Name() == "policy.chain" {
			chains = append(chains, s)
		}
	}
	if len(chains) != 3 {
		t.Fatalf("%d chain spans, want 3", len(chains))
	}
	deny := chains[1]
	if a := testkit.SpanAttrs(deny.Attributes()); a["ccgateway.policy.allow"] != "false" || a["ccgateway.policy.code"] != "model_not_allowed" ||
		a["ccgateway.policy.name"] != "permissions" {
		t.Errorf("deny chain span attributes %v", a)
	}
	if a := testkit.SpanAttrs(chains[2].Attributes()); a["ccgateway.policy.dry_run"] != "true" {
		t.Errorf("dry-run chain span attributes %v", a)
	}
	var calls int
	for _, s := range spans {
		if s.Name() != "policy.evaluate" || s.Parent().SpanID() != deny.SpanContext().SpanID() {
			continue
		}
		calls++
		a := testkit.SpanAttrs(s.Attributes())
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
