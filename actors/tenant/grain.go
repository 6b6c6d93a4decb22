// Package tenant is the per-API-key grain that admits requests: it runs the active
// policy chain on each request with the key's live counters (requests in the last
// minute and today, tokens and cost today, requests in flight), counts the request
// and holds an in-flight slot when it is allowed, and settles the turn's real tokens
// and cost when it ends. Its counters are rebuilt from the stored usage events when
// it starts, so a restart or a passivation keeps the daily quotas; a rebuild that
// fails is retried with backoff while admissions wait, each until its deadline.
//
// A key without a concurrency limit of its own gets the node's default cap
// (Deps.DefaultConcurrency): admissions beyond it are refused at once with
// concurrency_limit, before any policy runs, so that a burst on one key does not
// queue up behind the CLI processes.
//
// The grain never runs a policy on its own goroutine: one evaluation at a time runs
// in a goroutine that reports back with a message, while later admissions of the key
// wait in order. Settles and counter queries are answered meanwhile, and each
// admission sees the counts of the ones decided before it.
package tenant

import (
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// Kind is the cluster kind of tenant grains; a grain's identity is its key id.
const Kind = "tenant"

// Reply errors (AdmitReply.Error) that the facade maps back to its own errors.
const (
	ErrTextBusy        = "too many requests of this key wait for admission"
	ErrTextUnavailable = "the key's usage counters could not be read"
	// ErrTextAbandoned answers an admission whose caller stopped waiting (its
	// deadline passed or it released the ticket): it was neither decided nor counted.
	ErrTextAbandoned = "the caller stopped waiting for admission"
)

// Deps are what the tenant grains of a node share. Store is required.
type Deps struct {
	Store store.Store
	// Policies holds the active chain; nil admits every request.
	Policies *policies.Registry
	Log      *slog.Logger
	Now      func() time.Time // default time.Now
	IdleTTL  time.Duration    // passivation when idle with nothing in flight; default 10m
	// HoldTTL drops an in-flight slot that was never settled (a lost caller); it
	// should exceed the longest turn. Default 1h.
	HoldTTL time.Duration
	// MaxWaiting caps admissions waiting behind the one being decided; default 1000.
	MaxWaiting int
	// EvalTimeout bounds one chain evaluation, waiting for an instance included
	// (each policy call has the engine's own, shorter deadline); default 5s.
	EvalTimeout time.Duration
	// DefaultConcurrency caps the requests in flight (admitted and not settled, plus
	// those waiting to be decided) of a key whose MaxConcurrentRequests is 0; beyond
	// it an admission is refused at once with concurrency_limit. 0 or less: no cap.
	DefaultConcurrency int
}

func (d *Deps) withDefaults() *Deps {
	c := *d
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = 10 * time.Minute
	}
	if c.HoldTTL == 0 {
		c.HoldTTL = time.Hour
	}
	if c.MaxWaiting == 0 {
		c.MaxWaiting = 1000
	}
	if c.EvalTimeout == 0 {
		c.EvalTimeout = 5 * time.Second
	}
	return &c
}

// Props returns the grain's props for the cluster kind.
func Props(d *Deps) *actor.Props {
	d = d.withDefaults()
	return actor.PropsFromProducer(func() actor.Actor { return &grain{d: d, holds: map[string]hold{}, settled: map[string]time.Time{}} })
}

// hold is an admitted request's in-flight slot and the answer it got.
type hold struct {
	since time.Time
	reply *messages.AdmitReply
}

// waiting is an admission not yet decided, with its decoded input.
type waiting struct {
	to  *actor.PID
	req *messages.AdmitRequest
	in  *abi.Input
}

// Local messages from the grain's goroutines and timers; they never cross nodes.
type (
	loaded struct {
		c   counters
		err error
	}
	reload    struct{} // the backoff after a failed rebuild is over
	evaluated struct {
		w     waiting
		reply *messages.AdmitReply
	}
)

type grain struct {
	d     *Deps
	key   string
	c     counters
	ready bool // counters rebuilt
	// loading is true from the start of a rebuild until one succeeds or nobody
	// waits for it any more, backoff between attempts included.
	loading  bool
	backoff  time.Duration          // the wait before the next attempt after a failure
	retry    *time.Timer            // sends reload when the backoff is over
	deciding *messages.AdmitRequest // the admission being evaluated, nil when none
	queue    []waiting
	holds    map[string]hold
	settled  map[string]time.Time // tickets settled or released lately: see onSettle
	expired  time.Time            // when expire last ran
	acks     []*actor.PID         // settles answered once the counters are loaded
}

// Receive is the grain's only entry point.
func (g *grain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.SetReceiveTimeout(g.d.IdleTTL)
	case *cluster.ClusterInit:
		g.key = m.Identity.Identity
		g.load(ctx)
	case *loaded:
		g.onLoaded(ctx, m)
	case *reload:
		g.onReload(ctx)
	case *messages.AdmitRequest:
		g.onAdmit(ctx, m)
	case *evaluated:
		g.onEvaluated(ctx, m)
	case *messages.Settle:
		if g.key == "" {
			g.key = m.ApiKeyId
		}
		g.onSettle(m)
		g.ackSettle(ctx)
	case *messages.TenantCountersRequest:
		g.expire()
		ctx.Respond(g.countersReply())
	case *actor.ReceiveTimeout:
		g.expire()
		if len(g.holds) == 0 && len(g.queue) == 0 && g.deciding == nil && !g.loading {
			ctx.Stop(ctx.Self())
			return
		}
		ctx.SetReceiveTimeout(g.d.IdleTTL) // protoactor disarms the timer once it fires
	case *actor.Stopping:
		if g.retry != nil {
			g.retry.Stop()
		}
		g.failQueue(ctx, ErrTextUnavailable)
		g.flushAcks(ctx)
	}
}

func (g *grain) onAdmit(ctx actor.Context, m *messages.AdmitRequest) {
	if g.key == "" {
		g.key = m.ApiKeyId
	}
	// Expiry runs here too: with steady traffic the receive timeout never fires.
	g.expire()
	if h, ok := g.holds[m.Ticket]; ok { // a retried request: same answer
		ctx.Respond(h.reply)
		return
	}
	if _, ok := g.settled[m.Ticket]; ok {
		ctx.Respond(&messages.AdmitReply{Error: ErrTextAbandoned})
		return
	}
	var in abi.Input
	if err := abijson.UnmarshalInput(m.Input, &in); err != nil {
		ctx.Respond(&messages.AdmitReply{Error: "bad admission input: " + err.Error()})
		return
	}
	if r := g.overDefaultCap(m, &in); r != nil {
		if g.ready {
			g.withWindow(r, g.d.Now().UTC())
		}
		ctx.Respond(r)
		return
	}
	if len(g.queue) >= g.d.MaxWaiting {
		ctx.Respond(&messages.AdmitReply{Error: ErrTextBusy})
		return
	}
	g.queue = append(g.queue, waiting{to: ctx.Sender(), req: m, in: &in})
	if !g.ready {
		g.load(ctx)
		return
	}
	g.pump(ctx)
}

func (g *grain) failQueue(ctx actor.Context, text string) {
	for _, w := range g.queue {
		if w.to != nil {
			ctx.Send(w.to, &messages.AdmitReply{Error: text})
		}
	}
	g.queue = nil
}

func (g *grain) countersReply() *messages.TenantCounters {
	now := g.d.Now().UTC()
	c := g.c.snapshot(now, len(g.holds))
	return &messages.TenantCounters{RequestsLastMinute: c.RequestsLastMinute, RequestsToday: c.RequestsToday,
		TokensToday: c.TokensToday, CostToday: c.CostToday, InFlight: c.InFlight,
		MinuteResetMs: g.c.minuteReset(now).Milliseconds()}
}
