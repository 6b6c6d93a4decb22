package actors

import (
	"context"
	"time"

	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/policies"
)

// PolicyObserver is the policy engine's observer that traces and counts every
// policy call and chain decision in tel. Dry runs (policies.WithDryRun) get spans
// but are left out of the metrics.
func PolicyObserver(tel *telemetry.Telemetry) policies.Observer { return policyObserver{tel} }

type policyObserver struct{ t *telemetry.Telemetry }

var (
	_ policies.Observer      = policyObserver{}
	_ policies.ChainObserver = policyObserver{}
)

// ChainStarted opens the chain's span, so the policy calls' spans are its children.
func (o policyObserver) ChainStarted(ctx context.Context) context.Context {
	return o.t.StartPolicyChain(ctx)
}

// PolicyEvaluated records one call.
func (o policyObserver) PolicyEvaluated(ctx context.Context, ev policies.Event) {
	o.t.RecordPolicyCall(ctx, telemetry.PolicyCall{
		Policy: ev.Policy, Version: ev.Version, Start: ev.Start, Duration: ev.Duration,
		Allow: ev.Allow, Code: ev.Code, Err: ev.Err, DryRun: policies.IsDryRun(ctx),
	})
}

// DecisionMade records the chain's decision.
func (o policyObserver) DecisionMade(ctx context.Context, d policies.Decision, took time.Duration, err error) {
	o.t.RecordPolicyChain(ctx, telemetry.PolicyChain{
		Allow: d.Allow, Code: d.Code, Policy: d.Policy, Version: d.Version, FailedOpen: d.FailedOpen,
		Took: took, Err: err, DryRun: policies.IsDryRun(ctx),
	})
}
