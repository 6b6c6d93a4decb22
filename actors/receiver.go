package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
)

// receiver is the caller's end of one turn's stream: a local actor that turns the
// grain's messages into Events on out. It outlives its caller: when the caller
// leaves, the turn is canceled and the receiver waits for the grain's final
// TurnDone or TurnFailed, which carries what the turn really spent, so the API can
// settle and record it. It stops after the final event, or when its System stops it
// at the turn's outer limit; either way out is closed exactly once, and a final
// event is always the last one sent when the grain gave one.
type receiver struct {
	out      chan<- Event
	gone     <-chan struct{} // the caller's context is done: drop progress events
	limit    <-chan struct{} // the receiver's own lifetime is over
	cause    func() error    // why the receiver stopped without a final event
	finished bool
	onStop   func()
}

// receiverBuffer is out's capacity; the last slot is kept for the final event.
const receiverBuffer = 64

func (r *receiver) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
	case *messages.TurnQueued:
		r.emit(Queued{Position: int(m.Position)})
	case *messages.TurnStarted:
		r.emit(Started{ConversationID: m.ConversationId, Model: m.Model})
	case *messages.TurnDelta:
		r.emit(Delta{Text: m.Text})
	case *messages.TurnDone:
		r.final(ctx, Done{Result: resultOf(m)})
	case *messages.TurnFailed:
		r.final(ctx, Failed{Err: decodeError(m.Error), Usage: usageOf(m.GetUsage()), CostUSD: m.CostUsd})
	case *actor.Stopping:
		if !r.finished {
			r.finished = true
			err := r.cause()
			if err == nil {
				err = context.Canceled
			}
			// The kept slot makes room unless the consumer stalled; the API
			// finishes a stream that ends without a final event anyway.
			select {
			case r.out <- Failed{Err: err}:
			default:
			}
		}
		close(r.out)
		r.onStop()
	}
}

// emit hands a progress event over, keeping out's last slot free for the final
// event. Once the caller is gone, progress events are dropped.
func (r *receiver) emit(ev Event) {
	if r.finished {
		return
	}
	select {
	case <-r.gone:
		return // checked first: a random pick would deliver or drop at will
	default:
	}
	// Only this actor sends on out, so room seen stays room. A slow consumer is
	// waited for by polling: a select cannot wait for "two free slots".
	var tick *time.Ticker
	for len(r.out) >= cap(r.out)-1 {
		if tick == nil {
			tick = time.NewTicker(5 * time.Millisecond)
			defer tick.Stop()
		}
		select {
		case <-tick.C:
		case <-r.gone:
			return
		case <-r.limit:
			return
		}
	}
	r.out <- ev
}

// final hands the final event over even when the caller is gone: the API drains
// out to settle the turn's usage. Only the receiver's own limit stops the wait.
func (r *receiver) final(ctx actor.Context, ev Event) {
	if !r.finished {
		select {
		case r.out <- ev:
		case <-r.limit:
		}
	}
	r.finished = true
	ctx.Stop(ctx.Self())
}

func resultOf(m *messages.TurnDone) Result {
	return Result{
		ID: m.MessageId, ConversationID: m.ConversationId, Model: m.Model, Content: m.Content,
		StopReason: m.StopReason, StopSequence: m.StopSequence, CostUSD: m.CostUsd, DurationMS: m.DurationMs, Usage: usageOf(m.GetUsage()),
	}
}

func usageOf(u *messages.TurnUsage) Usage {
	return Usage{
		InputTokens: u.GetInputTokens(), OutputTokens: u.GetOutputTokens(),
		CacheReadInputTokens: u.GetCacheReadInputTokens(), CacheCreationInputTokens: u.GetCacheCreationInputTokens(),
	}
}
