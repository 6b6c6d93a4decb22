package tenant

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// pump starts deciding the next waiting admission unless one is being decided.
// A retried ticket that was allowed meanwhile gets the same answer at once.
func (g *grain) pump(ctx actor.Context) {
	for g.deciding == nil && g.ready && len(g.queue) > 0 {
		w := g.queue[0]
		g.queue[0] = waiting{}
		g.queue = g.queue[1:]
		if h, ok := g.holds[w.req.Ticket]; ok {
			g.answer(ctx, w, h.reply)
			continue
		}
		if g.abandoned(w.req) {
			g.answer(ctx, w, &messages.AdmitReply{Error: ErrTextAbandoned})
			continue
		}
		in := w.in
		now := g.d.Now().UTC()
		in.Counters = g.c.snapshot(now, len(g.holds))
		in.NowMS = now.UnixMilli()
		g.deciding = w.req
		system, self, d := ctx.ActorSystem(), ctx.Self(), g.d
		go func() {
			system.Root.Send(self, &evaluated{w: w, reply: decide(d, in, w.req.GetTraceparent())})
		}()
	}
}

// decide runs the active chain on in, off the grain's goroutine. The policy spans
// join the caller's trace (traceparent).
func decide(d *Deps, in *abi.Input, traceparent string) *messages.AdmitReply {
	if d.Policies == nil {
		return &messages.AdmitReply{Allow: true}
	}
	ctx, cancel := context.WithTimeout(telemetry.WithTraceparent(context.Background(), traceparent), d.EvalTimeout)
	defer cancel()
	dec, err := d.Policies.Evaluate(ctx, in)
	if err != nil {
		level := slog.LevelWarn
		if errors.Is(err, policies.ErrNoChain) {
			level = slog.LevelError
		}
		d.Log.Log(ctx, level, "policy failed", "api_key_id", in.Key.ID, "policy", dec.Policy,
			"version", dec.Version, "allow", dec.Allow, "err", err)
	}
	return replyOf(dec)
}

// replyOf converts a chain's decision to its wire form.
func replyOf(d policies.Decision) *messages.AdmitReply {
	r := &messages.AdmitReply{Allow: d.Allow, Code: d.Code, Reason: d.Reason, RetryAfterS: d.RetryAfterS,
		Policy: d.Policy, PolicyVersion: d.Version, FailedOpen: d.FailedOpen}
	if rw := d.Rewrite; d.Allow && rw != nil {
		if rw.MaxTokens != nil {
			r.RewriteMaxTokens, r.MaxTokens = true, *rw.MaxTokens
		}
		if rw.Model != nil {
			r.RewriteModel = *rw.Model
		}
	}
	return r
}

// onEvaluated counts an allowed request, holds its in-flight slot and answers.
func (g *grain) onEvaluated(ctx actor.Context, m *evaluated) {
	g.deciding = nil
	switch {
	case m.w.req.DryRun:
	case g.abandoned(m.w.req): // released or timed out while it was decided
		m.reply = &messages.AdmitReply{Error: ErrTextAbandoned}
	case m.reply.Allow:
		now := g.d.Now().UTC()
		g.c.addRequests(now, now, 1)
		g.withWindow(m.reply, now)
		g.holds[m.w.req.Ticket] = hold{since: now, reply: m.reply}
	default:
		g.withWindow(m.reply, g.d.Now().UTC())
	}
	g.answer(ctx, m.w, m.reply)
	g.pump(ctx)
}

// withWindow adds the key's requests-per-minute window to r, for the
// RateLimit response fields.
func (g *grain) withWindow(r *messages.AdmitReply, now time.Time) {
	r.HasMinuteWindow, r.MinuteRequests, r.MinuteResetMs = true, g.c.lastMinute(now), g.c.minuteReset(now).Milliseconds()
}

func (g *grain) answer(ctx actor.Context, w waiting, r *messages.AdmitReply) {
	if w.to != nil {
		ctx.Send(w.to, r)
	}
}
