package policies

import (
	"context"
	"sync/atomic"
	"time"
)

// Observer receives every policy call and chain decision, for metrics and tracing
// (the OpenTelemetry wiring implements it). Methods run on the evaluating goroutine
// and must be fast and safe for concurrent use.
type Observer interface {
	// PolicyEvaluated reports one call of one policy.
	PolicyEvaluated(ctx context.Context, ev Event)
	// DecisionMade reports a chain's decision and how long the chain took.
	DecisionMade(ctx context.Context, d Decision, took time.Duration, err error)
}

// ChainObserver is an optional extension of Observer. When the Observer implements
// it, ChainStarted runs before a chain's first policy call and the context it
// returns is the one the policy calls and DecisionMade see, so a tracer can make the
// chain's span the parent of the policy calls' spans.
type ChainObserver interface {
	ChainStarted(ctx context.Context) context.Context
}

type dryRunKey struct{}

// WithDryRun marks ctx as a trial evaluation (an admin's dry run, a policy's
// self-tests at load) rather than an admission, so observers can leave it out of
// their decision metrics.
func WithDryRun(ctx context.Context) context.Context {
	return context.WithValue(ctx, dryRunKey{}, true)
}

// IsDryRun reports whether ctx was marked by WithDryRun.
func IsDryRun(ctx context.Context) bool {
	v, _ := ctx.Value(dryRunKey{}).(bool)
	return v
}

// Event describes one policy call. Start and Duration let a tracer record a span.
type Event struct {
	Policy   string
	Version  int64
	Start    time.Time
	Duration time.Duration
	Allow    bool
	Code     string
	Err      error
}

// Counters is a snapshot of an Engine's counts since it was created.
type Counters struct {
	Decisions          int64 // chain evaluations that returned a decision
	Allowed            int64 // decisions that allowed
	Denied             int64 // decisions that denied (including fail-closed errors)
	PolicyCalls        int64 // guest calls
	PolicyErrors       int64 // guest calls that failed (trap, timeout, bad output)
	Timeouts           int64 // guest calls cut at the deadline
	FailedOpen         int64 // policy errors ignored because the policy fails open
	InstancesCreated   int64
	InstancesDiscarded int64 // instances closed after an error
	Collections        int64 // ccg_gc calls between evaluations
}

type counters struct {
	decisions, allowed, denied, calls, callErrors, timeouts, failedOpen, created, discarded, collections atomic.Int64
}

func (c *counters) snapshot() Counters {
	return Counters{
		Decisions: c.decisions.Load(), Allowed: c.allowed.Load(), Denied: c.denied.Load(),
		PolicyCalls: c.calls.Load(), PolicyErrors: c.callErrors.Load(), Timeouts: c.timeouts.Load(),
		FailedOpen: c.failedOpen.Load(), InstancesCreated: c.created.Load(), InstancesDiscarded: c.discarded.Load(),
		Collections: c.collections.Load(),
	}
}

// nopObserver is used when Config.Observer is nil.
type nopObserver struct{}

func (nopObserver) PolicyEvaluated(context.Context, Event)                       {}
func (nopObserver) DecisionMade(context.Context, Decision, time.Duration, error) {}

var _ Observer = nopObserver{}
