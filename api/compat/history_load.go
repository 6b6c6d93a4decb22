package compat

import (
	"context"
	"errors"
	"net/http"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// compatTurn is where a compatibility request goes: the conversation it continues
// ("" starts one) and the text sent to the CLI.
type compatTurn struct {
	conversationID string
	conv           *store.Conversation // its row, read to find it: the turn's admission reads it no more
	message        string
	matched        bool // an earlier conversation was found by its history
	system         string
	prior          []Message
	next           string
}

// resolveHistory maps a request that carries its whole history onto a stored
// conversation of the key. An explicit X-Conversation-Id wins; otherwise the hash
// of the system prompt and the earlier messages finds the candidate with one
// indexed lookup, and its stored messages must match them. With no match the
// earlier messages travel as a transcript in the first turn of a new conversation.
func (s *server) resolveHistory(ctx context.Context, keyID, header string, r *Request) (compatTurn, *api.Problem) {
	t := compatTurn{system: r.System}
	t.prior, t.next = Split(r.Messages)
	t.message = t.next
	if header != "" {
		c, err := s.Store.GetConversation(ctx, keyID, header)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return t, api.NewProblem(http.StatusNotFound, api.CodeNotFound, "conversation "+header+" (X-Conversation-Id) does not exist")
			}
			return t, api.ToProblem(err)
		}
		t.conversationID, t.conv = header, c
		return t, nil
	}
	if len(t.prior) == 0 {
		return t, nil
	}
	if c, ok := s.findConversation(ctx, keyID, t.system, t.prior); ok {
		t.conversationID, t.conv, t.matched = c.ID, c, true
		return t, nil
	}
	t.message = Transcript(t.prior, t.next)
	return t, nil
}

// findConversation looks the earlier messages up by hash and checks the candidate
// against its latest stored messages. A store failure only costs the match: the request
// then runs as a new conversation with a transcript.
func (s *server) findConversation(ctx context.Context, keyID, system string, prior []Message) (*store.Conversation, bool) {
	c, err := s.Store.FindConversationByHistoryHash(ctx, keyID, HistoryHash(system, prior))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.Log.Warn("compat: history lookup failed", "err", err)
		}
		return nil, false
	}
	// A match has at most len(prior) stored messages: read one more than that, so
	// the read is bounded by the request's own history, whatever the conversation
	// holds.
	page, err := s.Store.ListMessagesPage(ctx, c.ID, store.MessagePageQuery{Limit: len(prior) + 1})
	if err != nil {
		s.Log.Warn("compat: history lookup failed", "conversation_id", c.ID, "err", err)
		return nil, false
	}
	if page.HasMore {
		return nil, false
	}
	stored := make([]Message, 0, len(page.Messages))
	for _, m := range page.Messages {
		stored = append(stored, Message{Role: m.Role, Text: m.Content})
	}
	return c, MatchStored(prior, stored)
}

// rememberHistory records the history the client will send next time (this turn
// included) as the conversation's hash, so that call finds it.
func (s *server) rememberHistory(ctx context.Context, keyID, conversationID string, t compatTurn, reply string) {
	if conversationID == "" {
		return
	}
	h := make([]Message, 0, len(t.prior)+2)
	h = append(h, t.prior...)
	h = append(h, Message{Role: RoleUser, Text: t.next}, Message{Role: RoleAssistant, Text: reply})
	if err := s.Store.SetConversationHistoryHash(context.WithoutCancel(ctx), keyID, conversationID, HistoryHash(t.system, Normalize(h))); err != nil {
		s.Log.Warn("compat: could not record the history hash", "conversation_id", conversationID, "err", err)
	}
}
