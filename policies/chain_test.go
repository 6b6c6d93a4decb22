package policies

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/models"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// noon is 12:00:30 UTC on some day.
const noon = 1_699_920_000_000 + 12*3_600_000 + 30_000

func TestBundledChainDecides(t *testing.T) {
	e := newTestEngine(t, Config{})
	chain, err := DefaultChain(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()

	key := abi.Key{ID: "k1", Status: "active",
		UsageLimit:            abi.UsageLimit{RequestsPerMinute: 10, RequestsPerDay: 100, TokensPerDay: 1000},
		Permissions:           abi.Permissions{Models: []string{models.Default}, MaxTokens: 4096},
		MaxConcurrentRequests: 2, CostUSDPerDay: 5, Tools: []string{"Read"}}
	req := abi.Request{Endpoint: "/v1/messages", Model: "sonnet", MaxTokens: 1000}
	tests := []struct {
		name   string
		edit   func(in *abi.Input)
		policy string
		code   string
		retry  int64
	}{
		{"allowed", func(in *abi.Input) {}, "", "", 0},
		{"requests per minute", func(in *abi.Input) { in.Counters.RequestsLastMinute = 10 }, RateLimit, abi.CodeRateLimitMinute, 30},
		{"requests per day", func(in *abi.Input) { in.Counters.RequestsToday = 100 }, RateLimit, abi.CodeRateLimitDay, 12*3600 - 30},
		{"tokens per day", func(in *abi.Input) { in.Counters.TokensToday = 1000 }, RateLimit, abi.CodeTokenLimitDay, 12*3600 - 30},
		{"cost per day", func(in *abi.Input) { in.Counters.CostToday = 5.01 }, RateLimit, abi.CodeCostLimitDay, 12*3600 - 30},
		{"concurrency", func(in *abi.Input) { in.Counters.InFlight = 2 }, RateLimit, abi.CodeConcurrencyLimit, 1},
		{"model", func(in *abi.Input) { in.Request.Model = "opus" }, Permissions, abi.CodeModelNotAllowed, 0},
		{"resolved model", func(in *abi.Input) { in.Request.Model = models.Default }, "", "", 0},
		{"max tokens", func(in *abi.Input) { in.Request.MaxTokens = 5000 }, Permissions, abi.CodeMaxTokensExceeded, 0},
		{"streaming", func(in *abi.Input) { in.Request.Stream = true }, Permissions, abi.CodeStreamingNotAllowed, 0},
		{"streaming allowed", func(in *abi.Input) { in.Request.Stream, in.Key.Permissions.AllowStreaming = true, true }, "", "", 0},
		{"tool", func(in *abi.Input) { in.Request.Tools = []string{"Bash"} }, Permissions, abi.CodeToolNotAllowed, 0},
		{"allowed tool", func(in *abi.Input) { in.Request.Tools = []string{"Read"} }, "", "", 0},
		{"rate limit first", func(in *abi.Input) { in.Counters.InFlight, in.Request.Model = 5, "opus" }, RateLimit, abi.CodeConcurrencyLimit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := abi.Input{Key: key, Request: req, NowMS: noon}
			tt.edit(&in)
			d, err := chain.Evaluate(context.Background(), &in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Allow != (tt.code == "") || d.Code != tt.code || d.Policy != tt.policy || d.RetryAfterS != tt.retry {
				t.Fatalf("got %+v, want policy %q code %q retry %d", d, tt.policy, tt.code, tt.retry)
			}
			if !d.Allow && d.Reason == "" {
				t.Fatal("a deny needs a reason")
			}
		})
	}
}

// TestOmittedMaxTokensGetsTheCap replays issue 13 item 3: in the default refuse
// mode a request that named no max_tokens was allowed as it was, and the CLI ran
// with its own default of 128000 whatever the key's cap. In both modes the
// bundled permissions policy now rewrites an omitted max_tokens to the cap.
func TestOmittedMaxTokensGetsTheCap(t *testing.T) {
	e := newTestEngine(t, Config{})
	for _, mode := range []string{"refuse", "clamp"} {
		t.Run(mode, func(t *testing.T) {
			specs, err := BundledSpecs()
			if err != nil {
				t.Fatal(err)
			}
			specs[1].Config = []byte(`{"max_tokens_mode":"` + mode + `"}`)
			specs[1].Tests = nil // they assume the default aliases
			chain, err := LoadChain(context.Background(), e, specs[1])
			if err != nil {
				t.Fatal(err)
			}
			defer chain.Close()
			for _, omitted := range []int64{0, -1} {
				in := abi.Input{Key: abi.Key{Status: "active", Permissions: abi.Permissions{MaxTokens: 100}},
					Request: abi.Request{Endpoint: "/api/chat", MaxTokens: omitted}}
				d, err := chain.Evaluate(context.Background(), &in)
				if err != nil || !d.Allow || d.Rewrite == nil || d.Rewrite.MaxTokens == nil || *d.Rewrite.MaxTokens != 100 {
					t.Fatalf("max_tokens %d: %+v %v; want allowed with max_tokens rewritten to the cap 100", omitted, d, err)
				}
			}
			in := abi.Input{Key: abi.Key{Status: "active"}, Request: abi.Request{Endpoint: "/api/chat"}}
			if d, err := chain.Evaluate(context.Background(), &in); err != nil || !d.Allow || d.Rewrite != nil {
				t.Fatalf("no cap: %+v %v; want allowed as is", d, err)
			}
		})
	}
}

func TestChainClampRewrite(t *testing.T) {
	e := newTestEngine(t, Config{})
	specs, err := BundledSpecs()
	if err != nil {
		t.Fatal(err)
	}
	specs[1].Config = []byte(`{"max_tokens_mode":"clamp"}`)
	specs[1].Tests = nil
	fx := Spec{Name: "fixture", Wasm: fixture(t, "fixture")}
	chain, err := LoadChain(context.Background(), e, specs[1], fx)
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	in := abi.Input{Key: abi.Key{Permissions: abi.Permissions{MaxTokens: 100}}, Request: abi.Request{Endpoint: "rewrite", MaxTokens: 500}}
	d, err := chain.Evaluate(context.Background(), &in)
	if err != nil || !d.Allow || d.Rewrite == nil || *d.Rewrite.MaxTokens != 7 {
		t.Fatalf("got %+v, %v; want allow with the last rewrite (7)", d, err)
	}
	if in.Request.MaxTokens != 500 {
		t.Fatal("Evaluate modified its input")
	}
	in.Request.Endpoint = "/v1/messages"
	if d, _ := chain.Evaluate(context.Background(), &in); d.Rewrite == nil || *d.Rewrite.MaxTokens != 100 {
		t.Fatalf("got %+v, want the clamp to 100", d)
	}
}

func TestLoopingGuestIsCut(t *testing.T) {
	for _, mode := range []FailureMode{FailClosed, FailOpen} {
		e := newTestEngine(t, Config{CallTimeout: 50 * time.Millisecond})
		p := loadFixture(t, e, mode)
		chain, err := NewChain(e, p)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		d, err := chain.Evaluate(ctxTimeout(t, 10*time.Second), &abi.Input{Request: abi.Request{Endpoint: "loop"}})
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("a looping guest took %v", took)
		}
		switch mode {
		case FailClosed:
			var pe *PolicyError
			if !errors.Is(err, ErrTimeout) || !errors.As(err, &pe) || pe.Policy != "fixture" || d.Allow || d.Code != abi.CodePolicyError {
				t.Fatalf("fail-closed: got %+v, %v", d, err)
			}
		case FailOpen:
			if err != nil || !d.Allow || len(d.FailedOpen) != 1 {
				t.Fatalf("fail-open: got %+v, %v", d, err)
			}
		}
		if d, err := chain.Evaluate(context.Background(), &abi.Input{}); err != nil || !d.Allow {
			t.Fatalf("after the timeout: got %+v, %v", d, err)
		}
		if c := e.Counters(); c.Timeouts != 1 || c.InstancesDiscarded != 1 {
			t.Fatalf("counters %+v", c)
		}
		chain.Close()
	}
}

func TestFailingGuestIsReplaced(t *testing.T) {
	// A generous deadline lets the allocating guest reach the memory limit.
	e := newTestEngine(t, Config{MemoryLimitPages: 512, CallTimeout: 5 * time.Second})
	p := loadFixture(t, e, FailClosed)
	for _, endpoint := range []string{"trap", "alloc", "trap"} {
		_, err := p.Evaluate(context.Background(), &abi.Input{Request: abi.Request{Endpoint: endpoint}})
		t.Logf("%s: %v", endpoint, err)
		if err == nil || errors.Is(err, ErrTimeout) {
			t.Fatalf("%s: got %v, want a trap", endpoint, err)
		}
		out, err := p.Evaluate(context.Background(), &abi.Input{Request: abi.Request{Endpoint: "deny"}})
		if err != nil || out.Code != "fixture_deny" {
			t.Fatalf("after %s: got %+v, %v", endpoint, out, err)
		}
	}
	if c := e.Counters(); c.InstancesDiscarded != 3 || c.PolicyErrors != 3 {
		t.Fatalf("counters %+v", c)
	}
}

func TestGuestLogIsCapped(t *testing.T) {
	var buf bytes.Buffer
	e := newTestEngine(t, Config{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	p := loadFixture(t, e, FailClosed)
	if out, err := p.Evaluate(context.Background(), &abi.Input{Request: abi.Request{Endpoint: "log"}}); err != nil || !out.Allow {
		t.Fatalf("got %+v, %v", out, err)
	}
	if n := strings.Count(buf.String(), "fixture log line"); n != maxLogsPerCall {
		t.Fatalf("%d lines logged, want %d", n, maxLogsPerCall)
	}
}

func TestInputFields(t *testing.T) {
	e := newTestEngine(t, Config{})
	chain, err := DefaultChain(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	defer chain.Close()
	ps := chain.Policies()
	want := abi.FieldKeyUsageLimit | abi.FieldKeyMaxConcurrentRequests | abi.FieldKeyCostUSDPerDay | abi.FieldCounters | abi.FieldNowMS
	if ps[0].fields != want {
		t.Fatalf("ratelimit reads %#x, want %#x", ps[0].fields, want)
	}
	if fx := loadFixture(t, e, FailClosed); fx.fields != abi.FieldsAll {
		t.Fatalf("a policy without sdk.Needs reads %#x, want all", fx.fields)
	}
}

func TestCollectionsRunBetweenCalls(t *testing.T) {
	e := newTestEngine(t, Config{GCEvery: 3, MaxInstances: 1})
	p := loadFixture(t, e, FailClosed)
	for i := 0; i < 30; i++ {
		if out, err := p.Evaluate(context.Background(), &abi.Input{Request: abi.Request{Endpoint: "deny"}}); err != nil || out.Code != "fixture_deny" {
			t.Fatalf("call %d: %+v, %v", i, out, err)
		}
	}
	if c := e.Counters(); c.Collections < 9 || c.InstancesCreated != 1 {
		t.Fatalf("counters %+v, want ≥ 9 collections on one instance", c)
	}
}
