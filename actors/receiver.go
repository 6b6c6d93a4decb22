package actors

import (
	"context"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
)

// receiver is the caller's end of one turn's stream: a local actor that turns the
// grain's messages into Events on out. It stops after the final event, or when its
// System stops it because the caller left; either way out is closed exactly once.
type receiver struct {
	out      chan<- Event
	gone     <-chan struct{} // the caller's context is done
	cause    func() error    // why the caller left
	finished bool
	onStop   func()
}

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
			select {
			case r.out <- Failed{Err: err}:
			default:
			}
		}
		close(r.out)
		r.onStop()
	}
}

// emit hands an event over unless the caller is gone.
func (r *receiver) emit(ev Event) {
	if r.finished {
		return
	}
	select {
	case r.out <- ev:
	case <-r.gone:
	}
}

func (r *receiver) final(ctx actor.Context, ev Event) {
	r.emit(ev)
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
