package telemetry

import (
	"context"
	"errors"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Policy metric names (as Prometheus shows them; the exporter adds _total to
// counters and _seconds to histograms in seconds).
const (
	metricPolicyDecisions = "ccgateway_policy_decisions"           // per policy call: {policy, allow, code}
	metricPolicyDuration  = "ccgateway_policy_evaluation_duration" // per policy call: {policy}
	metricPolicyErrors    = "ccgateway_policy_errors"              // per failed policy call: {policy}
	metricChainDecisions  = "ccgateway_policy_chain_decisions"     // per chain: {allow, code, policy}
	metricChainDuration   = "ccgateway_policy_chain_duration"      // per chain
)

// Span names.
const (
	spanPolicyCall  = "policy.evaluate"
	spanPolicyChain = "policy.chain"
)

// policyBuckets suit calls bounded by policy-call-timeout (50ms by default).
var policyBuckets = []float64{0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}

type policyInstruments struct {
	decisions, errors, chainDecisions metric.Int64Counter
	duration, chainDuration           metric.Float64Histogram
	// names and codes bound the policy and code labels: a guest chooses its deny
	// codes freely and could derive them from the request.
	names, codes boundedLabel
}

func (p *policyInstruments) init(m metric.Meter) error {
	var errs [5]error
	p.decisions, errs[0] = m.Int64Counter(metricPolicyDecisions,
		metric.WithDescription("Policy calls by outcome: allow is true or false, code the deny code (policy_error for a call that failed)."))
	p.errors, errs[1] = m.Int64Counter(metricPolicyErrors,
		metric.WithDescription("Policy calls that failed (trap, timeout, bad output), whatever the policy's failure mode."))
	p.chainDecisions, errs[2] = m.Int64Counter(metricChainDecisions,
		metric.WithDescription("Admission decisions of the policy chain; policy names the policy that denied (empty when allowed)."))
	p.duration, errs[3] = m.Float64Histogram(metricPolicyDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of one policy call."), metric.WithExplicitBucketBoundaries(policyBuckets...))
	p.chainDuration, errs[4] = m.Float64Histogram(metricChainDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of one policy chain evaluation."), metric.WithExplicitBucketBoundaries(policyBuckets...))
	return errors.Join(errs[:]...)
}

// PolicyCall is one policy evaluation, as the policy engine's observer reports
// it (actors adapts the engine's events to it).
type PolicyCall struct {
	Policy   string
	Version  int64
	Start    time.Time
	Duration time.Duration
	Allow    bool
	Code     string
	Err      error // the call failed: counted as a deny with code policy_error
	DryRun   bool  // traced, left out of the metrics
}

// PolicyChain is one decision of a policy chain.
type PolicyChain struct {
	Allow bool
	Code  string
	// Policy and Version name the policy that denied; empty when allowed.
	Policy     string
	Version    int64
	FailedOpen []string
	Took       time.Duration
	Err        error
	DryRun     bool // traced, left out of the metrics
}

type chainSpanKey struct{}

// StartPolicyChain opens a chain's span, so that the spans of its policy calls
// are its children; RecordPolicyChain ends it.
func (t *Telemetry) StartPolicyChain(ctx context.Context) context.Context {
	ctx, span := t.tracer.Start(ctx, spanPolicyChain, trace.WithSpanKind(trace.SpanKindInternal))
	return context.WithValue(ctx, chainSpanKey{}, span)
}

// RecordPolicyCall traces one call as a span over [Start, Start+Duration] and
// counts it.
func (t *Telemetry) RecordPolicyCall(ctx context.Context, ev PolicyCall) {
	allow, code := ev.Allow, ev.Code
	if ev.Err != nil {
		allow, code = false, "policy_error"
	}
	attrs := []attribute.KeyValue{
		attribute.String("ccgateway.policy.name", ev.Policy),
		attribute.Int64("ccgateway.policy.version", ev.Version),
		attribute.Bool("ccgateway.policy.allow", allow),
		attribute.String("ccgateway.policy.code", code),
	}
	if ev.DryRun {
		attrs = append(attrs, attribute.Bool("ccgateway.policy.dry_run", true))
	}
	_, span := t.tracer.Start(ctx, spanPolicyCall, trace.WithTimestamp(ev.Start), trace.WithAttributes(attrs...))
	if ev.Err != nil {
		span.RecordError(ev.Err)
		span.SetStatus(codes.Error, ev.Err.Error())
	}
	span.End(trace.WithTimestamp(ev.Start.Add(ev.Duration)))

	if ev.DryRun {
		return
	}
	p := &t.policy
	name := attribute.String("policy", p.names.value(ev.Policy))
	p.decisions.Add(ctx, 1, metric.WithAttributes(name,
		attribute.String("allow", strconv.FormatBool(allow)), attribute.String("code", p.codes.value(code))))
	p.duration.Record(ctx, ev.Duration.Seconds(), metric.WithAttributes(name))
	if ev.Err != nil {
		p.errors.Add(ctx, 1, metric.WithAttributes(name))
	}
}

// RecordPolicyChain ends the chain's span (or records one after the fact when
// StartPolicyChain was not called) and counts the decision.
func (t *Telemetry) RecordPolicyChain(ctx context.Context, d PolicyChain) {
	attrs := []attribute.KeyValue{
		attribute.Bool("ccgateway.policy.allow", d.Allow),
		attribute.String("ccgateway.policy.code", d.Code),
	}
	if d.Policy != "" {
		attrs = append(attrs, attribute.String("ccgateway.policy.name", d.Policy),
			attribute.Int64("ccgateway.policy.version", d.Version))
	}
	if len(d.FailedOpen) > 0 {
		attrs = append(attrs, attribute.StringSlice("ccgateway.policy.failed_open", d.FailedOpen))
	}
	if d.DryRun {
		attrs = append(attrs, attribute.Bool("ccgateway.policy.dry_run", true))
	}
	span, ok := ctx.Value(chainSpanKey{}).(trace.Span)
	if !ok {
		_, span = t.tracer.Start(ctx, spanPolicyChain, trace.WithTimestamp(time.Now().Add(-d.Took)))
	}
	span.SetAttributes(attrs...)
	if d.Err != nil {
		span.RecordError(d.Err)
		span.SetStatus(codes.Error, d.Err.Error())
	}
	span.End()

	if d.DryRun {
		return
	}
	p := &t.policy
	p.chainDecisions.Add(ctx, 1, metric.WithAttributes(
		attribute.String("allow", strconv.FormatBool(d.Allow)), attribute.String("code", p.codes.value(d.Code)),
		attribute.String("policy", p.names.value(d.Policy))))
	p.chainDuration.Record(ctx, d.Took.Seconds())
}
