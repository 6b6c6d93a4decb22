package actors

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/conversation"
	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// ChatRequest is one user turn as the API layer hands it over. Model is already
// resolved from aliases and checked against the configured models.
//
// On a continue (ConversationID set), the non-zero spawn fields (Model,
// SystemPrompt, MaxTokens, Temperature) replace the conversation's stored settings
// from this turn on: the CLI process is respawned with --resume under the new
// signature, so the history carries over. Zero fields keep the stored settings.
// StopSequences and Tools are this turn's own and never stored: a turn with other
// ones (or none) respawns the process the same way.
type ChatRequest struct {
	APIKeyID       string
	ConversationID string // empty starts a new conversation
	Message        string
	Model          string
	SystemPrompt   string
	MaxTokens      int
	Temperature    *float64
	StopSequences  []string // checked by claudecli.ValidateStopSequences
	Tools          []string
	// Conversation is the row of ConversationID as the caller read it for this
	// request with APIKeyID (admission reads it for the stored model and
	// max_tokens): Chat then takes the ownership as checked and does not read
	// the row again. Nil makes Chat read it.
	Conversation *store.Conversation
	// ticket is the turn's admission ticket (Turn.Run sets it): the conversation
	// grain settles it when the turn it accepted ends.
	ticket string
}

// owned reports whether the request carries its conversation's row, read with
// its own key.
func (r *ChatRequest) owned() bool {
	c := r.Conversation
	return c != nil && c.ID == r.ConversationID && c.APIKeyID == r.APIKeyID
}

// ConversationSpec is what a new conversation is created with.
type ConversationSpec struct {
	Model        string
	SystemPrompt string
	Title        string
	Metadata     map[string]string
	MaxTokens    int
	Temperature  *float64
}

// CreateConversation stores a new conversation owned by keyID; its grain starts on
// the first turn.
func (s *System) CreateConversation(ctx context.Context, keyID string, spec ConversationSpec) (*store.Conversation, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	c := &store.Conversation{
		ID: uuid.NewString(), APIKeyID: keyID, Model: spec.Model, SystemPrompt: spec.SystemPrompt,
		Title: spec.Title, Metadata: spec.Metadata, SessionID: uuid.NewString(),
		MaxTokens: int64(spec.MaxTokens), Temperature: spec.Temperature,
	}
	if c.Metadata == nil {
		c.Metadata = map[string]string{}
	}
	if err := s.st.CreateConversation(ctx, c); err != nil {
		return nil, fmt.Errorf("actors: create conversation: %w", err)
	}
	return c, nil
}

// Chat starts a turn: a new conversation when req.ConversationID is empty (Started
// carries its id; the conversation is deleted again if the turn fails with nothing
// stored), else a continue of the key's own conversation (store.ErrNotFound
// otherwise, which the grain checks). Errors before the turn is accepted are
// returned; later ones arrive as a Failed event. Canceling ctx interrupts the turn.
func (s *System) Chat(ctx context.Context, req ChatRequest) (<-chan Event, error) {
	if err := req.Validate(); err != nil {
		return nil, err // whatever the transport: no invalid turn reaches a grain
	}
	if req.ConversationID != "" && !req.owned() {
		// Ownership first, whatever the conversation's state: another key's turn
		// must not wait in (or fill) its queue, nor learn from the timing that it
		// exists. One indexed read, unless the caller made it; the grain checks
		// again when it has no row of its own under its lease.
		if _, err := s.st.GetConversation(ctx, req.APIKeyID, req.ConversationID); err != nil {
			return nil, fmt.Errorf("actors: conversation %s: %w", req.ConversationID, err)
		}
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	accepted := false
	defer func() {
		if !accepted {
			s.inflight.Done()
		}
	}()
	convID, created := req.ConversationID, req.ConversationID == ""
	if created {
		c, err := s.CreateConversation(ctx, req.APIKeyID, ConversationSpec{
			Model: req.Model, SystemPrompt: req.SystemPrompt, MaxTokens: req.MaxTokens, Temperature: req.Temperature,
		})
		if err != nil {
			return nil, err
		}
		convID = c.ID
	}
	// A key being deleted starts no more turns; DeleteTenant waits for the others.
	if err := s.track(req.APIKeyID, convID); err != nil {
		if created {
			s.discard(req.APIKeyID, convID)
		}
		return nil, err
	}

	out := make(chan Event, receiverBuffer)
	// The receiver outlives its caller (see receiver) but no turn that could still
	// be running.
	limit := s.cfg.TurnTimeout*time.Duration(s.cfg.MaxPending+1) + time.Minute
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	var unhook atomic.Pointer[func() bool] // the caller-gone hook, once the turn is accepted
	r := &receiver{out: out, gone: ctx.Done(), limit: rctx.Done(), cause: rctx.Err, onStop: func() {
		if stop := unhook.Swap(nil); stop != nil {
			(*stop)()
		}
		cancel()
		s.untrack(req.APIKeyID, convID)
		s.inflight.Done()
	}}
	pid := s.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return r }))
	context.AfterFunc(rctx, func() { s.sys.Root.Stop(pid) })

	// The turn deadline is overall: it counts from now, so time spent waiting behind
	// the conversation's running turn or in the node's queue is part of it.
	deadline := time.Now().Add(s.cfg.TurnTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	turn := &messages.TurnRequest{
		RequestId: uuid.NewString(), ApiKeyId: req.APIKeyID, ConversationId: convID, Message: req.Message,
		DeadlineUnixMs: deadline.UnixMilli(), Created: created, Traceparent: telemetry.Traceparent(ctx), Ticket: req.ticket,
		Receiver: &messages.Receiver{Address: pid.Address, Id: pid.Id},
		Spec: &messages.Spec{Model: req.Model, SystemPrompt: req.SystemPrompt, MaxTokens: int64(req.MaxTokens),
			HasTemperature: req.Temperature != nil, Temperature: deref(req.Temperature), Tools: req.Tools,
			StopSequences: req.StopSequences},
	}
	// The caller leaving does not abort the handover (the turn is canceled once
	// accepted, below); a member dying does (grainrequest.go): the turn is offered
	// to its new owner with the same request id.
	actx, acancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	res, grain, err := s.requestFrom(actx, convID, conversation.Kind, turn)
	acancel()
	ack, ok := res.(*messages.TurnAck)
	switch {
	case err != nil:
		err = fmt.Errorf("actors: conversation %s: %w", convID, err)
	case !ok:
		err = fmt.Errorf("actors: conversation %s: unexpected answer %T", convID, res)
	case !ack.Accepted:
		err = decodeError(ack.Error)
	}
	if err != nil {
		if created {
			s.discard(req.APIKeyID, convID)
		}
		cancel() // stops the receiver, which ends the in-flight count
		accepted = true
		return nil, err
	}
	accepted = true
	s.failOnMemberDeath(grain, pid, turn.RequestId, rctx)
	// A caller that leaves cancels the turn; the receiver stays for its final event.
	stop := context.AfterFunc(ctx, func() {
		if rctx.Err() == nil {
			s.cancelTurn(convID, turn.RequestId)
		}
	})
	unhook.Store(&stop)
	if rctx.Err() != nil { // the receiver stopped before the hook was stored
		stop()
	}
	return out, nil
}

// failOnMemberDeath ends the turn of receiver with ErrOwnedElsewhere when the
// member running it (grain's) is declared dead before the receiver stops (done):
// nothing else would reach the receiver, which would wait until its outer limit.
// The caller may retry at once: the conversation resumes on a survivor.
func (s *System) failOnMemberDeath(grain, receiver *actor.PID, requestID string, done context.Context) {
	if grain == nil || grain.Address == s.sys.Address() {
		return
	}
	dead := s.deaths.member(grain.Address)
	go func() {
		select {
		case <-dead:
			s.sys.Root.Send(receiver, &messages.TurnFailed{RequestId: requestID, Error: encodeError(&OwnedElsewhereError{
				RetryAfter: time.Second, Reason: "the node running the turn was declared dead; retry to resume the conversation on another node"})})
		case <-done.Done():
		}
	}()
}

// cancelTurn asks the conversation's grain to end the turn; its TurnFailed (with
// what the turn spent) still reaches the turn's receiver.
func (s *System) cancelTurn(convID, requestID string) {
	if err := s.tell(convID, conversation.Kind, &messages.CancelTurn{RequestId: requestID}, requestTimeout); err != nil {
		s.log.Warn("cancel turn", "conversation", convID, "err", err)
	}
}

// DeleteConversation stops the conversation's grain (its turn is canceled, its
// process killed) and deletes its rows, transcript and the CLI's session files.
func (s *System) DeleteConversation(ctx context.Context, keyID, id string) error {
	c, err := s.st.GetConversation(ctx, keyID, id)
	if err != nil {
		return fmt.Errorf("actors: conversation %s: %w", id, err)
	}
	sessions := []string{c.SessionID}
	if tr, err := s.st.GetTranscript(ctx, id); err == nil && tr.SessionID != c.SessionID {
		sessions = append(sessions, tr.SessionID)
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.TurnTimeout+requestTimeout)
	_, err = ask[*messages.StopConversationAck](sctx, s, id, conversation.Kind, &messages.StopConversation{ApiKeyId: keyID, SessionId: c.SessionID})
	cancel()
	if err != nil {
		return fmt.Errorf("actors: stop conversation %s: %w", id, err)
	}
	if err := s.st.DeleteConversation(ctx, keyID, id); err != nil {
		return fmt.Errorf("actors: delete conversation %s: %w", id, err)
	}
	var errs []error
	for _, sid := range sessions {
		errs = append(errs, s.cli.RemoveSession(keyID, sid))
	}
	return errors.Join(errs...)
}

// discard deletes a conversation created for a turn that was never accepted.
func (s *System) discard(keyID, convID string) {
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if err := s.st.DeleteConversation(ctx, keyID, convID); err != nil && !errors.Is(err, store.ErrNotFound) {
		s.log.Warn("discard an unused new conversation", "conversation", convID, "err", err)
	}
}

func deref(f *float64) float64 {
	if f == nil {
		return 0
	}
	return *f
}
