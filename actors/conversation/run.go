package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/store"
)

// errDeleted is the cause a turn is canceled with when its conversation is
// deleted: its caller gets not_found, not canceled.
var errDeleted = fmt.Errorf("conversation: deleted: %w", store.ErrNotFound)

// history is what the grain knows about the CLI session's stored turns.
type history int8

const (
	historyUnknown history = iota // not looked up since activation or a new lease
	historyNone                   // no transcript stored: a new session
	historySome                   // a transcript is stored: spawn with --resume
)

// run is one turn, executed in its own goroutine. It owns proc for the turn's
// length and only talks to the grain by sending it turnFinished.
type run struct {
	d      *Deps
	system *actor.ActorSystem
	self   *actor.PID
	convID string
	t      *turn
	proc   Process
	sig    Signature
	hist   history
	// conv is the row the grain kept from its last turn (nil: none, or in doubt);
	// exec sets it to the row the turn runs with.
	conv *store.Conversation
	// spent is what the CLI reported for a turn that then failed.
	spent   *messages.TurnUsage
	spentUS float64
	// onLeaseLost tells the grain that a renewal found the lease gone.
	onLeaseLost func()
	// process says how the turn got its process (live, spare or spawn), for the
	// time-to-first-token metric and the turn's span.
	process string
}

// do runs the turn and returns what the grain keeps afterwards.
func (r *run) do(ctx context.Context) *turnFinished {
	ctx, span := r.startSpan(ctx)
	done, err := r.exec(ctx)
	r.endSpan(span, done, err)
	if err != nil {
		// A cause set by the grain (lease lost, conversation deleted) explains the
		// failure better than the cancellation it led to.
		if cause := context.Cause(ctx); errors.Is(cause, ErrOwnedElsewhere) || errors.Is(cause, errDeleted) {
			err = cause
		}
		return r.failed(err)
	}
	r.send(done)
	return &turnFinished{proc: r.proc, sig: r.sig, hist: r.hist, conv: r.conv, final: done}
}

// exec runs the turn up to its end; on error, the process is kept only when it is
// still fit for the next turn.
func (r *run) exec(ctx context.Context) (*messages.TurnDone, error) {
	req := r.t.req
	// A turn whose deadline passed while it waited behind another does not start.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The row is read (which checks the key's ownership) unless the grain kept it
	// from its last turn under a lease it still holds; a fresh lease reads it
	// again below.
	conv, kept := r.conv, r.conv != nil && r.conv.APIKeyID == req.ApiKeyId
	r.conv = nil
	if !kept {
		c, err := r.d.Store.GetConversation(ctx, req.ApiKeyId, r.convID)
		if err != nil {
			return nil, err
		}
		conv = c
	}
	// Fencing: the CLI runs only under this node's lease. A new lease means another
	// node may have run turns since: a process kept from before is stale, and so
	// is a row kept from before.
	fresh, err := r.d.Leases.Acquire(ctx, r.convID, r.onLeaseLost)
	if err != nil {
		if r.proc != nil { // kept from a lease since taken over: its slot goes too
			r.closeProc()
			r.d.Sched.Drop(r.convID)
		}
		return nil, err
	}
	if fresh {
		r.closeProc()
		r.hist = historyUnknown
		// The row read before this acquisition (or kept from an earlier lease) may
		// predate turns another owner ran until it let the lease go (a handover
		// waits for them): read it again under the new lease.
		if conv, err = r.d.Store.GetConversation(ctx, req.ApiKeyId, r.convID); err != nil {
			return nil, err
		}
	}
	sig, err := r.settle(ctx, conv)
	if err != nil {
		return nil, err
	}
	// Another signature continues the same session in a new process (--resume);
	// a process that died between turns is replaced the same way.
	if r.proc != nil && (r.sig != sig || r.proc.Exited()) {
		r.closeProc()
	}
	// The transcript is read only when a process must be spawned: a live process
	// already holds the session.
	var tr *store.Transcript
	if r.proc == nil || r.hist == historyUnknown {
		if tr, err = r.loadHistory(ctx); err != nil {
			return nil, err
		}
	}
	adopt := ""
	if r.proc == nil && r.hist == historyNone && r.d.Spares != nil {
		if id, p, ok := r.d.Spares.Take(sig); ok {
			adopt, r.proc = id, p
			defer r.d.Spares.Refill()
		}
	}
	waited := r.queueWait(ctx)
	grant, err := r.d.Sched.Acquire(ctx, scheduler.SlotRequest{Key: req.ApiKeyId, Conversation: r.convID, Adopt: adopt},
		func(pos int) { r.send(&messages.TurnQueued{RequestId: req.RequestId, Position: int32(pos)}) })
	waited(err)
	if err != nil {
		r.closeProc()
		if adopt != "" {
			r.d.Sched.Drop(adopt) // the spare's slot, still booked as prewarmed
		}
		return nil, err
	}
	alive := false
	defer func() { grant.Finish(alive) }()
	r.process = "live"
	if adopt != "" {
		r.process = "spare"
	}
	if grant.Fresh || r.proc == nil {
		r.process = "spawn"
		if err := r.spawn(ctx, conv, sig, tr); err != nil {
			return nil, err
		}
	}
	if adopt != "" && conv.SessionID != r.proc.SessionID() {
		conv.SessionID = r.proc.SessionID()
		if err := r.d.Store.UpdateConversation(ctx, conv); err != nil {
			r.closeProc()
			return nil, err
		}
	}
	proc := r.proc
	grant.Attach(proc.Pid(), proc.StartedAt(), func() {
		_ = proc.Close()
		r.system.Root.Send(r.self, &evicted{proc: proc})
	})
	r.send(&messages.TurnStarted{RequestId: req.RequestId, ConversationId: r.convID, Model: sig.Model})
	done, err := r.turn(ctx, proc, sig)
	if err != nil {
		// A failed or interrupted turn leaves the process in doubt: end it; the next
		// turn resumes from the transcript.
		r.closeProc()
		return nil, err
	}
	alive = true
	r.sig, r.hist, r.conv = sig, historySome, conv
	return done, nil
}

// settle merges the turn's spec into the conversation's settings, storing changes.
func (r *run) settle(ctx context.Context, conv *store.Conversation) (Signature, error) {
	s := r.t.req.GetSpec()
	changed := false
	if s.GetModel() != "" && s.GetModel() != conv.Model {
		conv.Model, changed = s.GetModel(), true
	}
	if s.GetSystemPrompt() != "" && s.GetSystemPrompt() != conv.SystemPrompt {
		conv.SystemPrompt, changed = s.GetSystemPrompt(), true
	}
	if s.GetMaxTokens() > 0 && s.GetMaxTokens() != conv.MaxTokens {
		conv.MaxTokens, changed = s.GetMaxTokens(), true
	}
	if s.GetHasTemperature() && (conv.Temperature == nil || *conv.Temperature != s.GetTemperature()) {
		t := s.GetTemperature()
		conv.Temperature, changed = &t, true
	}
	if changed {
		if err := r.d.Store.UpdateConversation(ctx, conv); err != nil {
			return Signature{}, err
		}
	}
	// Tools and stop sequences are the turn's own, never stored: a turn asking for
	// others (or none) gets a process respawned with --resume under them.
	return SignatureOf(conv.Model, conv.SystemPrompt, conv.MaxTokens, conv.Temperature, s.GetTools(), s.GetStopSequences()), nil
}

// loadHistory reads the stored transcript (nil when there is none) and records
// whether the session has turns to resume.
func (r *run) loadHistory(ctx context.Context) (*store.Transcript, error) {
	tr, err := r.d.Store.GetTranscript(ctx, r.convID)
	switch {
	case err == nil:
		r.hist = historySome
		return tr, nil
	case errors.Is(err, store.ErrNotFound):
		r.hist = historyNone
		return nil, nil
	}
	return nil, err
}

// spawn starts the conversation's process: with --resume from tr (read now when
// the caller had no reason to) when the session has history.
func (r *run) spawn(ctx context.Context, conv *store.Conversation, sig Signature, tr *store.Transcript) error {
	r.closeProc()
	spec := LaunchSpec{KeyID: conv.APIKeyID, ConversationID: conv.ID, SessionID: conv.SessionID, Sig: sig}
	if r.hist == historySome && tr == nil {
		var err error
		if tr, err = r.loadHistory(ctx); err != nil {
			return err
		}
	}
	if tr != nil {
		spec.Resume, spec.SessionID, spec.Transcript = true, tr.SessionID, tr.Data
	}
	p, err := r.d.Launcher.Launch(ctx, spec)
	if err != nil {
		return err
	}
	r.proc = p
	return nil
}

// turn relays one CLI turn to the receiver and persists it when it succeeds.
func (r *run) turn(ctx context.Context, proc Process, sig Signature) (*messages.TurnDone, error) {
	req := r.t.req
	ctx, span := r.startCLISpan(ctx, sig)
	events, err := proc.Turn(ctx, req.Message)
	if err != nil {
		endCLISpan(span, nil, err)
		return nil, err
	}
	first := true
	for ev := range events {
		switch {
		case ev.Err != nil:
			r.spent, r.spentUS = ev.Usage, ev.CostUSD
			endCLISpan(span, ev.Usage, ev.Err)
			return nil, ev.Err
		case ev.Result != nil:
			endCLISpan(span, ev.Result.Usage, nil, ev.Result.StopReason)
			return r.persist(ctx, proc, sig, ev.Result)
		case ev.Delta != "":
			if first {
				first = false
				r.d.Turns.FirstToken(ctx, time.Since(r.t.arrived), r.process)
			}
			r.send(&messages.TurnDelta{RequestId: req.RequestId, Text: ev.Delta})
		}
	}
	endCLISpan(span, nil, ctx.Err())
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("conversation: the CLI stream ended without a result")
}

func (r *run) closeProc() {
	if r.proc != nil {
		_ = r.proc.Close()
		r.proc = nil
	}
}

func (r *run) send(m any) { r.system.Root.Send(r.t.receiver, m) }

// failed ends the turn with err, reporting what it spent. A conversation created
// for this turn that still has nothing stored is deleted first, so that the caller
// never finds an empty conversation it did not ask for.
func (r *run) failed(err error) *turnFinished {
	fin := &turnFinished{proc: r.proc, sig: r.sig, hist: r.hist, gone: errors.Is(err, store.ErrNotFound)}
	if r.t.req.Created && r.hist != historySome {
		r.closeProc()
		r.discard()
		fin.proc, fin.gone = nil, true
	}
	fin.final = &messages.TurnFailed{RequestId: r.t.req.RequestId, Error: r.d.Encode(err), Usage: r.spent, CostUsd: r.spentUS}
	r.send(fin.final)
	return fin
}

// discard deletes the conversation with its session files.
func (r *run) discard() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	key := r.t.req.ApiKeyId
	conv, err := r.d.Store.GetConversation(ctx, key, r.convID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			r.d.Log.Warn("discard a failed new conversation", "conversation", r.convID, "err", err)
		}
		return
	}
	if err := r.d.Store.DeleteConversation(ctx, key, r.convID); err != nil {
		r.d.Log.Warn("discard a failed new conversation", "conversation", r.convID, "err", err)
		return
	}
	if err := r.d.Launcher.RemoveSession(key, conv.SessionID); err != nil {
		r.d.Log.Warn("discard a failed new conversation: session files", "conversation", r.convID, "err", err)
	}
}
