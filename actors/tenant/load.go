package tenant

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
)

// The backoff between attempts to rebuild the counters: the first retry comes
// after minBackoff, each later one after twice the wait before it, up to maxBackoff.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// load rebuilds the counters from the store in a goroutine.
func (g *grain) load(ctx actor.Context) {
	if g.loading || g.ready || g.key == "" {
		return
	}
	g.loading = true
	g.rebuild(ctx)
}

// rebuild starts one attempt; its outcome comes back as a loaded message.
func (g *grain) rebuild(ctx actor.Context) {
	system, self, key, st, now := ctx.ActorSystem(), ctx.Self(), g.key, g.d.Store, g.d.Now()
	go func() {
		lctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, err := rebuild(lctx, st, key, now)
		system.Root.Send(self, &loaded{c: c, err: err})
	}()
}

func (g *grain) onLoaded(ctx actor.Context, m *loaded) {
	if m.err != nil {
		g.onLoadFailed(ctx, m.err)
		return
	}
	g.loading, g.backoff = false, 0
	// Settles that arrived while loading were counted into g.c already; their
	// usage events were not in the store when the rebuild read it (ackSettle), and
	// they are answered only now.
	m.c.tokensToday += g.c.tokensToday
	m.c.costToday += g.c.costToday
	g.c, g.ready = m.c, true
	g.flushAcks(ctx)
	g.pump(ctx)
}

// onLoadFailed schedules the next attempt. Admitting on zero counters would reset
// the daily quotas, so the admissions wait, each until its deadline: one whose
// deadline comes before the next attempt is refused now (the key's counters are
// unavailable). The settles waiting for their answer keep waiting too, so that
// their usage events are not written before a rebuild reads the store. When nobody
// waits any more the grain stops trying; the next admission or settle starts again.
func (g *grain) onLoadFailed(ctx actor.Context, err error) {
	g.backoff = min(max(2*g.backoff, minBackoff), maxBackoff)
	next := g.d.Now().Add(g.backoff)
	kept := g.queue[:0]
	for _, w := range g.queue {
		if dl := w.req.DeadlineUnixMs; dl > 0 && dl <= next.UnixMilli() {
			g.answer(ctx, w, &messages.AdmitReply{Error: ErrTextUnavailable})
			continue
		}
		kept = append(kept, w)
	}
	clear(g.queue[len(kept):])
	g.queue = kept
	if len(g.queue) == 0 && len(g.acks) == 0 {
		g.d.Log.Warn("tenant counters unavailable; nothing waits for them", "api_key_id", g.key, "err", err)
		g.loading, g.backoff = false, 0
		return
	}
	g.d.Log.Warn("tenant counters unavailable; retrying", "api_key_id", g.key, "err", err,
		"retry_in", g.backoff, "waiting", len(g.queue), "settles", len(g.acks))
	system, self := ctx.ActorSystem(), ctx.Self()
	g.retry = time.AfterFunc(g.backoff, func() { system.Root.Send(self, &reload{}) })
}

// onReload runs the next attempt once the backoff is over.
func (g *grain) onReload(ctx actor.Context) {
	g.retry = nil
	if !g.loading || g.ready {
		return
	}
	g.rebuild(ctx)
}
