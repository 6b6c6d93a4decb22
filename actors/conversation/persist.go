package conversation

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
)

// persist stores the user and assistant messages with the CLI transcript in one
// transaction. When that fails, the turn fails but still reports what it spent.
func (r *run) persist(ctx context.Context, proc Process, sig Signature, res *TurnResult) (*messages.TurnDone, error) {
	req := r.t.req
	u := res.Usage
	if u == nil {
		u = &messages.TurnUsage{}
	}
	r.spent, r.spentUS = u, res.CostUSD
	msgID := "msg_" + uuid.NewString()
	now := time.Now().UTC()
	msgs := []*store.Message{
		{ID: uuid.NewString(), ConversationID: r.convID, Role: "user", Content: req.Message, CreatedAt: now},
		{ID: msgID, ConversationID: r.convID, Role: "assistant", Content: res.Text, Model: sig.Model,
			InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens,
			CacheCreationInputTokens: u.CacheCreationInputTokens, CostUSD: res.CostUSD, DurationMS: res.DurationMS,
			StopReason: res.StopReason, CreatedAt: now},
	}
	data, err := proc.Transcript()
	if err != nil {
		return nil, fmt.Errorf("conversation: read transcript: %w", err)
	}
	// Persistence must not be cut short by a caller that leaves right at the end.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	tr := &store.Transcript{ConversationID: r.convID, SessionID: proc.SessionID(), Data: data}
	// Fencing: the turn is stored only under the lease token it ran with.
	lease, ok := r.d.Leases.Fence(r.convID)
	if !ok {
		return nil, &OwnedElsewhereError{RetryAfter: r.d.Leases.cfg.TTL, Reason: "the conversation's lease was lost during the turn"}
	}
	if err := r.d.Store.CommitTurn(pctx, &lease, msgs, tr); err != nil {
		if errors.Is(err, store.ErrLeaseHeld) {
			// Another node owns the conversation now: its process here must end
			// (the caller closes it on this error) and the lease be acquired anew.
			r.d.Leases.Lost(r.convID)
			r.d.Log.Warn("conversation turn fenced off: another node holds the lease", "conversation", r.convID, "err", err)
			return nil, &OwnedElsewhereError{RetryAfter: r.d.Leases.cfg.TTL, Reason: "another node took the conversation over during the turn"}
		}
		return nil, fmt.Errorf("conversation: store turn: %w", err)
	}
	r.spent, r.spentUS = nil, 0
	return &messages.TurnDone{
		RequestId: req.RequestId, MessageId: msgID, ConversationId: r.convID, Model: sig.Model,
		Content: res.Text, StopReason: res.StopReason, StopSequence: res.StopSequence, Usage: u,
		CostUsd: res.CostUSD, DurationMs: res.DurationMS,
	}, nil
}
