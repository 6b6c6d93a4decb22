package conversation

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// Error kinds the grain reports in TurnError.Kind, besides those of Deps.Encode.
const (
	KindNotFound = "not_found"
	KindBusy     = "conversation_busy"
	KindCanceled = "canceled"
	// KindOwnedElsewhere: another node holds the conversation's lease.
	KindOwnedElsewhere = "conversation_owned_elsewhere"
)

// Deps are what grains share on a node. Every field is required except Spares.
type Deps struct {
	Store       store.Store
	Leases      *Leases // a turn runs the CLI only while this node holds the lease
	Sched       *scheduler.Scheduler
	Launcher    Launcher
	Spares      Spares
	Encode      func(error) *messages.TurnError // errors to the wire
	Log         *slog.Logger
	IdleTTL     time.Duration // passivation after this long without a turn
	MaxPending  int           // turns that may wait behind the running one
	TurnTimeout time.Duration // fallback when a request has no deadline
	// Kill ends every running turn when it is done (the shutdown deadline passed).
	Kill context.Context
	// Turns traces turns and records their queue wait and time to first token;
	// nil records nothing.
	Turns *telemetry.Turns
	// SettleSlot gives a turn's admission slot (TurnRequest.Ticket) back to its
	// key's tenant grain with what the turn spent, once a turn this grain accepted
	// ended; it must not block. Nil settles nothing here.
	SettleSlot func(keyID, ticket string, spent *messages.TurnUsage, costUSD float64)
}

// Props returns the grain's props for the cluster kind.
func Props(d *Deps) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor { return &grain{d: d} })
}

// turn is a turn the grain has accepted.
type turn struct {
	req      *messages.TurnRequest
	receiver *actor.PID
	arrived  time.Time               // when the grain accepted the turn
	cancel   context.CancelFunc      // set while running
	abort    context.CancelCauseFunc // set while running; cancels with a cause
}

// Local messages from the grain's own goroutines; they never cross nodes.
type (
	turnFinished struct {
		proc  Process // the live process after the turn, nil when it ended
		sig   Signature
		hist  history
		conv  *store.Conversation // the row as the turn left it, nil when in doubt
		gone  bool                // the conversation was not found (or was just discarded)
		final any                 // the TurnDone or TurnFailed the receiver was sent
	}
	evicted   struct{ proc Process }
	leaseLost struct{}
)

type grain struct {
	d    *Deps
	id   string
	proc Process // idle process between turns; owned by the turn goroutine during a turn
	sig  Signature
	hist history
	// conv is the conversation's row as this grain last read or wrote it. Only the
	// lease holder changes the fields a turn runs with, so it stays true while
	// the lease is held without a break: a turn then reads no row (a fresh lease
	// drops it).
	conv     *store.Conversation
	running  *turn
	pending  []*turn
	stopping bool
	stopAck  []*actor.PID
	// recent are the turns accepted lately by request id, so that a request sent
	// again (its caller's try was abandoned when a member was declared dead, yet
	// it had reached this grain) is acknowledged without running the turn twice.
	recent   map[string]*recentTurn
	endedIDs []string // ids of recent turns that ended, oldest first
}

// recentTurn is an accepted turn: final is nil while it waits or runs, then the
// final event its receiver was sent.
type recentTurn struct{ final any }

// recentKept is how many ended turns a grain remembers. A request is sent again
// within its caller's request timeout (10 s), a few turns at most.
const recentKept = 16

// Receive is the grain's only entry point.
func (g *grain) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		ctx.SetReceiveTimeout(g.d.IdleTTL)
	case *cluster.ClusterInit:
		g.id = m.Identity.Identity
	case *messages.TurnRequest:
		g.onTurn(ctx, m)
	case *messages.CancelTurn:
		g.onCancel(ctx, m.RequestId)
	case *actor.Terminated:
		g.onReceiverGone(ctx, m.Who)
	case *turnFinished:
		g.onFinished(ctx, m)
	case *evicted:
		if g.proc == m.proc {
			g.proc = nil
		}
	case *leaseLost:
		g.onLeaseLost()
	case *actor.ReceiveTimeout:
		if g.running == nil && len(g.pending) == 0 {
			g.d.Log.Debug("conversation passivates", "conversation", g.id)
			ctx.Stop(ctx.Self())
			return
		}
		ctx.SetReceiveTimeout(g.d.IdleTTL) // protoactor disarms the timer once it fires
	case *messages.StopConversation:
		g.onStop(ctx)
	case *actor.Stopping:
		g.release()
	}
}

func (g *grain) onTurn(ctx actor.Context, m *messages.TurnRequest) {
	if g.id == "" {
		g.id = m.ConversationId
	}
	if r := g.recent[m.RequestId]; r != nil && m.RequestId != "" {
		// A repeated request: accepted already. One that ended gets its final event
		// again (the receiver ignores a second one).
		ctx.Respond(&messages.TurnAck{Accepted: true})
		if r.final != nil {
			ctx.Send(actor.NewPID(m.GetReceiver().GetAddress(), m.GetReceiver().GetId()), r.final)
		}
		return
	}
	if g.stopping {
		ctx.Respond(&messages.TurnAck{Error: &messages.TurnError{Kind: KindNotFound, Message: "conversation deleted"}})
		return
	}
	if g.running != nil && len(g.pending) >= g.d.MaxPending {
		ctx.Respond(&messages.TurnAck{Error: &messages.TurnError{Kind: KindBusy, Message: "too many turns wait for this conversation", RetryAfterMs: 1000}})
		return
	}
	t := &turn{req: m, receiver: actor.NewPID(m.GetReceiver().GetAddress(), m.GetReceiver().GetId()), arrived: time.Now()}
	ctx.Respond(&messages.TurnAck{Accepted: true})
	g.accepted(m.RequestId)
	ctx.Watch(t.receiver)
	if g.running != nil {
		g.pending = append(g.pending, t)
		ctx.Send(t.receiver, &messages.TurnQueued{RequestId: m.RequestId, Position: int32(len(g.pending))})
		return
	}
	g.start(ctx, t)
}

// start hands the idle process (if any) to a goroutine that runs the turn and
// reports back with turnFinished.
func (g *grain) start(ctx actor.Context, t *turn) {
	deadline := time.Now().Add(g.d.TurnTimeout)
	if ms := t.req.DeadlineUnixMs; ms > 0 {
		deadline = time.UnixMilli(ms)
	}
	cctx, abort := context.WithCancelCause(context.Background())
	tctx, cancel := context.WithDeadline(cctx, deadline)
	stopKill := context.AfterFunc(g.d.Kill, cancel)
	t.cancel = func() { stopKill(); cancel() }
	t.abort = func(cause error) { abort(cause); t.cancel() }
	g.running = t
	system, self := ctx.ActorSystem(), ctx.Self()
	r := &run{d: g.d, system: system, self: self, convID: g.id, t: t, proc: g.proc, sig: g.sig, hist: g.hist, conv: g.conv,
		onLeaseLost: func() { system.Root.Send(self, &leaseLost{}) }}
	g.proc = nil
	go func() {
		defer t.cancel()
		fin := r.do(tctx)
		r.system.Root.Send(r.self, fin)
	}()
}

func (g *grain) onFinished(ctx actor.Context, m *turnFinished) {
	if g.running != nil {
		ctx.Unwatch(g.running.receiver)
		g.ended(g.running.req, m.final)
	}
	g.running = nil
	g.proc, g.sig, g.hist, g.conv = m.proc, m.sig, m.hist, m.conv
	if g.stopping {
		g.finishStop(ctx)
		return
	}
	// A grain whose conversation does not exist holds nothing worth keeping: it
	// stops now rather than after the idle TTL.
	if m.gone && g.proc == nil && len(g.pending) == 0 {
		ctx.Stop(ctx.Self())
		return
	}
	if len(g.pending) > 0 {
		next := g.pending[0]
		g.pending = g.pending[1:]
		g.start(ctx, next)
	}
}

func (g *grain) onCancel(ctx actor.Context, requestID string) {
	if g.running != nil && g.running.req.RequestId == requestID {
		g.running.cancel()
		return
	}
	for i, t := range g.pending {
		if t.req.RequestId == requestID {
			g.pending = append(g.pending[:i:i], g.pending[i+1:]...)
			g.fail(ctx, t, &messages.TurnError{Kind: KindCanceled, Message: "the turn was canceled"})
			return
		}
	}
}

// onReceiverGone interrupts or drops the turn of a caller that vanished.
func (g *grain) onReceiverGone(ctx actor.Context, who *actor.PID) {
	if g.running != nil && g.running.receiver.Equal(who) {
		g.running.cancel()
	}
	kept := g.pending[:0]
	for _, t := range g.pending {
		if !t.receiver.Equal(who) {
			kept = append(kept, t)
			continue
		}
		g.ended(t.req, &messages.TurnFailed{RequestId: t.req.RequestId,
			Error: &messages.TurnError{Kind: KindCanceled, Message: "the turn was canceled"}})
	}
	g.pending = kept
}

func (g *grain) fail(ctx actor.Context, t *turn, e *messages.TurnError) {
	ctx.Unwatch(t.receiver)
	final := &messages.TurnFailed{RequestId: t.req.RequestId, Error: e}
	g.ended(t.req, final)
	ctx.Send(t.receiver, final)
}

// accepted remembers a turn the grain took on.
func (g *grain) accepted(requestID string) {
	if requestID == "" {
		return
	}
	if g.recent == nil {
		g.recent = map[string]*recentTurn{}
	}
	g.recent[requestID] = &recentTurn{}
}

// ended settles an accepted turn's admission slot with what it spent and records
// its final event for a repeated request; the oldest ended turns beyond
// recentKept are forgotten (turns still waiting or running never are). It runs
// once per accepted turn.
func (g *grain) ended(req *messages.TurnRequest, final any) {
	if req.GetTicket() != "" && g.d.SettleSlot != nil {
		var spent *messages.TurnUsage
		var cost float64
		switch f := final.(type) {
		case *messages.TurnDone:
			spent, cost = f.GetUsage(), f.GetCostUsd()
		case *messages.TurnFailed:
			spent, cost = f.GetUsage(), f.GetCostUsd()
		}
		g.d.SettleSlot(req.GetApiKeyId(), req.GetTicket(), spent, cost)
	}
	requestID := req.GetRequestId()
	r := g.recent[requestID]
	if r == nil || r.final != nil {
		return
	}
	r.final = final
	g.endedIDs = append(g.endedIDs, requestID)
	if len(g.endedIDs) > recentKept {
		delete(g.recent, g.endedIDs[0])
		g.endedIDs = g.endedIDs[1:]
	}
}

// onStop ends the conversation for a delete: queued turns fail, the running one is
// canceled (its caller is told the conversation is gone), and the answer waits
// until its goroutine is done with the process.
func (g *grain) onStop(ctx actor.Context) {
	g.stopping = true
	g.stopAck = append(g.stopAck, ctx.Sender())
	for _, t := range g.pending {
		g.fail(ctx, t, &messages.TurnError{Kind: KindNotFound, Message: "conversation deleted"})
	}
	g.pending = nil
	if g.running != nil {
		g.running.abort(errDeleted)
		return
	}
	g.finishStop(ctx)
}

func (g *grain) finishStop(ctx actor.Context) {
	g.release()
	for _, to := range g.stopAck {
		if to != nil {
			ctx.Send(to, &messages.StopConversationAck{})
		}
	}
	g.stopAck = nil
	ctx.Stop(ctx.Self())
}

// release kills the idle process, frees its slot and ends the lease.
func (g *grain) release() {
	if g.running != nil {
		g.running.cancel() // its goroutine closes the process it holds
	}
	if g.proc != nil {
		_ = g.proc.Close()
		g.proc = nil
	}
	if g.id != "" && g.running == nil {
		g.d.Sched.Drop(g.id)
	}
	if g.id != "" {
		g.d.Leases.Release(g.id)
	}
}

// onLeaseLost ends the CLI process at once: another node may run this
// conversation now. The next turn acquires the lease anew and resumes from the
// store's transcript.
func (g *grain) onLeaseLost() {
	g.d.Log.Warn("conversation lease lost: ending its CLI process", "conversation", g.id)
	g.conv = nil // another node may change the row now
	if g.running != nil {
		g.running.abort(&OwnedElsewhereError{RetryAfter: g.d.Leases.cfg.TTL, Reason: "the conversation's lease was lost during the turn"})
	}
	if g.proc != nil {
		_ = g.proc.Close()
		g.proc = nil
		g.d.Sched.Drop(g.id)
	}
}
