package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testCommitTurn checks that a turn's messages and transcript are stored together
// or not at all.
func testCommitTurn(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k := newKey(t, s)
	hourAgo := time.Now().Add(-time.Hour)
	c := newConversation(t, s, k.ID, func(c *store.Conversation) { c.UpdatedAt = hourAgo })
	turn := func(id string) []*store.Message {
		return []*store.Message{{Role: "user", Content: "hi"}, {ID: id, Role: "assistant", Content: "hello", OutputTokens: 2}}
	}
	first := &store.Transcript{SessionID: uuid.NewString(), Data: []byte("one\n")}
	lease, err := s.AcquireLease(ctx, c.ID, "node-a", time.Minute)
	noErr(t, err)

	t.Run("stores messages and transcript", func(t *testing.T) {
		msgs := turn("a-1")
		noErr(t, s.CommitTurn(ctx, lease, msgs, first))
		equal(t, "seq", []int64{msgs[0].Seq, msgs[1].Seq}, []int64{1, 2})
		got, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", got, msgs)
		tr, err := s.GetTranscript(ctx, c.ID)
		noErr(t, err)
		equal(t, "transcript conversation", first.ConversationID, c.ID)
		equal(t, "session", tr.SessionID, first.SessionID)
		equal(t, "updated_at", tr.UpdatedAt, first.UpdatedAt)
		if !bytes.Equal(tr.Data, first.Data) {
			t.Fatalf("data %q", tr.Data)
		}
		conv, err := s.GetConversation(ctx, k.ID, c.ID)
		noErr(t, err)
		if !conv.UpdatedAt.After(hourAgo) {
			t.Fatalf("updated_at %v not bumped", conv.UpdatedAt)
		}
	})
	t.Run("a failing message keeps the previous transcript", func(t *testing.T) {
		next := &store.Transcript{SessionID: uuid.NewString(), Data: []byte("one\ntwo\n")}
		isErr(t, s.CommitTurn(ctx, lease, turn("a-1"), next), store.ErrConflict) // duplicate id
		got, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", len(got), 2)
		tr, err := s.GetTranscript(ctx, c.ID)
		noErr(t, err)
		equal(t, "session", tr.SessionID, first.SessionID)
		equal(t, "data", string(tr.Data), string(first.Data))
	})
	t.Run("next turn continues the sequence", func(t *testing.T) {
		msgs := turn("a-2")
		noErr(t, s.CommitTurn(ctx, lease, msgs, &store.Transcript{SessionID: first.SessionID, Data: []byte("one\ntwo\n")}))
		equal(t, "seq", []int64{msgs[0].Seq, msgs[1].Seq}, []int64{3, 4})
	})
	t.Run("unknown conversation stores nothing", func(t *testing.T) {
		id := uuid.NewString()
		l, err := s.AcquireLease(ctx, id, "node-a", time.Minute)
		noErr(t, err)
		isErr(t, s.CommitTurn(ctx, l, turn(""), &store.Transcript{SessionID: "s"}), store.ErrNotFound)
		_, err = s.GetTranscript(ctx, id)
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("a fenced-off owner stores nothing", func(t *testing.T) {
		stale := *lease
		noErr(t, s.ReleaseLease(ctx, lease))
		taken, err := s.AcquireLease(ctx, c.ID, "node-b", time.Minute) // a new owner, a new token
		noErr(t, err)
		isErr(t, s.CommitTurn(ctx, &stale, turn("a-3"), &store.Transcript{SessionID: "s-a", Data: []byte("stale\n")}), store.ErrLeaseHeld)
		got, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", len(got), 4)
		tr, err := s.GetTranscript(ctx, c.ID)
		noErr(t, err)
		equal(t, "data", string(tr.Data), "one\ntwo\n")
		// The same owner after a re-acquire holds a newer token: the old one is fenced too.
		noErr(t, s.ReleaseLease(ctx, taken))
		again, err := s.AcquireLease(ctx, c.ID, "node-a", time.Minute)
		noErr(t, err)
		isErr(t, s.CommitTurn(ctx, &stale, turn("a-3"), &store.Transcript{SessionID: "s-a"}), store.ErrLeaseHeld)
		noErr(t, s.CommitTurn(ctx, again, turn("a-3"), &store.Transcript{SessionID: first.SessionID, Data: []byte("three\n")}))
	})
	t.Run("deleted with the conversation", func(t *testing.T) {
		noErr(t, s.DeleteConversation(ctx, k.ID, c.ID))
		_, err := s.GetTranscript(ctx, c.ID)
		isErr(t, err, store.ErrNotFound)
	})
}
