package tenant

import (
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
)

// settledTTL is how long a settled or released ticket is remembered: long enough
// for a repeated Settle, or a released admission still waiting, to be recognized.
// An admission waits at most until its deadline, well under this.
const settledTTL = 2 * time.Minute

// onSettle frees the ticket's slot and counts the turn's tokens and cost, once per
// ticket. A Settle whose ticket holds no slot still counts (its hold expired, or
// the grain restarted); if the ticket is still waiting, it is released and will be
// answered with ErrTextAbandoned.
func (g *grain) onSettle(m *messages.Settle) {
	if _, dup := g.settled[m.Ticket]; dup {
		return
	}
	now := g.d.Now()
	g.settled[m.Ticket] = now
	delete(g.holds, m.Ticket)
	g.c.settle(now.UTC(), m.Tokens, m.CostUsd)
}

// ackSettle answers a Settle. Until the counters have been rebuilt the answer
// waits for a rebuild that has read the store (one is started if none runs, and a
// failed one is retried): the caller writes the turn's usage event only after the
// answer, so that event cannot be both in the rebuild and counted live (the settle
// is counted live at once).
func (g *grain) ackSettle(ctx actor.Context) {
	to := ctx.Sender()
	switch {
	case to == nil:
	case !g.ready:
		g.acks = append(g.acks, to)
		g.load(ctx)
	default:
		ctx.Send(to, &messages.SettleAck{})
	}
}

// flushAcks answers the settles that waited for a rebuild.
func (g *grain) flushAcks(ctx actor.Context) {
	for _, to := range g.acks {
		ctx.Send(to, &messages.SettleAck{})
	}
	g.acks = nil
}

// abandoned reports whether an admission's caller stopped waiting: its ticket was
// released, or its deadline passed.
func (g *grain) abandoned(req *messages.AdmitRequest) bool {
	if _, ok := g.settled[req.Ticket]; ok {
		return true
	}
	return req.DeadlineUnixMs > 0 && g.d.Now().UnixMilli() >= req.DeadlineUnixMs
}

// expire drops holds older than HoldTTL (their callers never settled) and
// forgets settled tickets after settledTTL. It runs on every admission and on the
// receive timeout, so a key with steady traffic expires its holds too.
func (g *grain) expire() {
	now := g.d.Now()
	if now.Sub(g.expired) < time.Second && !now.Before(g.expired) {
		return // at most once a second: both maps may be large
	}
	g.expired = now
	cut := now.Add(-g.d.HoldTTL)
	for t, h := range g.holds {
		if h.since.Before(cut) {
			g.d.Log.Warn("tenant drops an unsettled in-flight slot", "api_key_id", g.key, "ticket", t)
			delete(g.holds, t)
		}
	}
	for t, at := range g.settled {
		if now.Sub(at) > settledTTL {
			delete(g.settled, t)
		}
	}
}
