package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/store"
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
	// onLeaseLost tells the grain that a renewal found the lease gone.
	onLeaseLost func()
}

// do runs the turn and returns what the grain keeps afterwards.
func (r *run) do(ctx context.Context) *turnFinished {
	req := r.t.req
	conv, err := r.d.Store.GetConversation(ctx, req.ApiKeyId, r.convID)
	if err != nil {
		return r.failed(err)
	}
	// Fencing: the CLI runs only under this node's lease. A new lease means another
	// node may have run turns since: a process kept from before is stale.
	fresh, err := r.d.Leases.Acquire(ctx, r.convID, r.onLeaseLost)
	if err != nil {
		r.closeProc()
		return r.failed(err)
	}
	if fresh {
		r.closeProc()
	}
	sig, err := r.settle(ctx, conv)
	if err != nil {
		return r.failed(err)
	}
	if r.proc != nil && r.sig != sig {
		// Another signature: the same session continues in a new process (--resume).
		r.closeProc()
	}
	resume, err := r.hasHistory(ctx)
	if err != nil {
		return r.failed(err)
	}
	adopt := ""
	if r.proc == nil && !resume && r.d.Spares != nil {
		if id, p, ok := r.d.Spares.Take(sig); ok {
			adopt, r.proc = id, p
		}
	}
	grant, err := r.d.Sched.Acquire(ctx, scheduler.Ticket{Key: req.ApiKeyId, Conversation: r.convID, Adopt: adopt},
		func(pos int) { r.send(&messages.TurnQueued{RequestId: req.RequestId, Position: int32(pos)}) })
	if err != nil {
		r.closeProc()
		return r.failed(err)
	}
	alive := false
	defer func() { grant.Finish(alive) }()
	if grant.Fresh || r.proc == nil {
		if err := r.spawn(ctx, conv, sig, resume); err != nil {
			return r.failed(err)
		}
	}
	if adopt != "" && r.proc != nil && conv.SessionID != r.proc.SessionID() {
		conv.SessionID = r.proc.SessionID()
		if err := r.d.Store.UpdateConversation(ctx, conv); err != nil {
			r.closeProc()
			return r.failed(err)
		}
	}
	proc := r.proc
	grant.Attach(proc.Pid(), proc.StartedAt(), func() {
		_ = proc.Close()
		r.system.Root.Send(r.self, &evicted{proc: proc})
	})
	r.send(&messages.TurnStarted{RequestId: req.RequestId, ConversationId: r.convID, Model: sig.Model})
	done, err := r.turn(ctx, proc, sig)
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, ErrOwnedElsewhere) {
		err = cause
	}
	if err != nil {
		// A failed or interrupted turn leaves the process in doubt: end it; the next
		// turn resumes from the transcript.
		r.closeProc()
		return r.failed(err)
	}
	alive = true
	r.send(done)
	return &turnFinished{proc: proc, sig: sig}
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
	return SignatureOf(conv.Model, conv.SystemPrompt, conv.MaxTokens, conv.Temperature, s.GetTools()), nil
}

// hasHistory reports whether the CLI session has turns to resume.
func (r *run) hasHistory(ctx context.Context) (bool, error) {
	_, err := r.d.Store.GetTranscript(ctx, r.convID)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrNotFound):
		return false, nil
	}
	return false, err
}

func (r *run) spawn(ctx context.Context, conv *store.Conversation, sig Signature, resume bool) error {
	r.closeProc()
	spec := LaunchSpec{KeyID: conv.APIKeyID, ConversationID: conv.ID, SessionID: conv.SessionID, Resume: resume, Sig: sig}
	if resume {
		tr, err := r.d.Store.GetTranscript(ctx, conv.ID)
		if err != nil {
			return err
		}
		spec.SessionID, spec.Transcript = tr.SessionID, tr.Data
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
	events, err := proc.Turn(ctx, req.Message)
	if err != nil {
		return nil, err
	}
	for ev := range events {
		switch {
		case ev.Err != nil:
			return nil, ev.Err
		case ev.Result != nil:
			return r.persist(ctx, proc, sig, ev.Result)
		case ev.Delta != "":
			r.send(&messages.TurnDelta{RequestId: req.RequestId, Text: ev.Delta})
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("conversation: the CLI stream ended without a result")
}

// persist appends the user and assistant messages and stores the CLI transcript.
func (r *run) persist(ctx context.Context, proc Process, sig Signature, res *TurnResult) (*messages.TurnDone, error) {
	req := r.t.req
	u := res.Usage
	if u == nil {
		u = &messages.TurnUsage{}
	}
	msgID := "msg_" + uuid.NewString()
	now := time.Now().UTC()
	msgs := []*store.Message{
		{ID: uuid.NewString(), ConversationID: r.convID, Role: "user", Content: req.Message, CreatedAt: now},
		{ID: msgID, ConversationID: r.convID, Role: "assistant", Content: res.Text, Model: sig.Model,
			InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens,
			CacheCreationInputTokens: u.CacheCreationInputTokens, CostUSD: res.CostUSD, DurationMS: res.DurationMS,
			StopReason: res.StopReason, CreatedAt: now},
	}
	// Persistence must not be cut short by a caller that leaves right at the end.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.d.Store.AppendMessages(pctx, r.convID, msgs); err != nil {
		return nil, fmt.Errorf("conversation: store turn: %w", err)
	}
	data, err := proc.Transcript()
	if err != nil {
		return nil, fmt.Errorf("conversation: read transcript: %w", err)
	}
	if err := r.d.Store.PutTranscript(pctx, &store.Transcript{ConversationID: r.convID, SessionID: proc.SessionID(), Data: data}); err != nil {
		return nil, fmt.Errorf("conversation: store transcript: %w", err)
	}
	return &messages.TurnDone{
		RequestId: req.RequestId, MessageId: msgID, ConversationId: r.convID, Model: sig.Model,
		Content: res.Text, StopReason: res.StopReason, Usage: u, CostUsd: res.CostUSD, DurationMs: res.DurationMS,
	}, nil
}

func (r *run) closeProc() {
	if r.proc != nil {
		_ = r.proc.Close()
		r.proc = nil
	}
}

func (r *run) send(m any) { r.system.Root.Send(r.t.receiver, m) }

func (r *run) failed(err error) *turnFinished {
	r.send(&messages.TurnFailed{RequestId: r.t.req.RequestId, Error: r.d.Encode(err)})
	return &turnFinished{proc: r.proc, sig: r.sig}
}
