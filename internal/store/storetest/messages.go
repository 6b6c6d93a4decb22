package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

func testMessages(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k := newKey(t, s)
	hourAgo := time.Now().Add(-time.Hour)
	c := newConversation(t, s, k.ID, func(c *store.Conversation) { c.UpdatedAt = hourAgo })
	first := []*store.Message{
		{Role: "user", Content: "hi"},
		{ID: "m-2", Role: "assistant", Content: "hello", Model: "sonnet", InputTokens: 10, OutputTokens: 3,
			CacheReadInputTokens: 100, CacheCreationInputTokens: 7, CostUSD: 0.0012, DurationMS: 850,
			StopReason: "end_turn", CreatedAt: at(1)},
	}
	t.Run("append assigns seq, ids and times", func(t *testing.T) {
		noErr(t, s.AppendMessages(ctx, c.ID, first))
		for i, m := range first {
			equal(t, "seq", m.Seq, int64(i+1))
			equal(t, "conversation", m.ConversationID, c.ID)
			if m.ID == "" || m.CreatedAt.IsZero() {
				t.Fatalf("message %d: id or created_at not set: %+v", i, m)
			}
		}
		equal(t, "given id kept", first[1].ID, "m-2")
		got, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", got, first)
		isUTC(t, got[0].CreatedAt, got[1].CreatedAt)
	})
	t.Run("append continues after the last", func(t *testing.T) {
		more := []*store.Message{{Role: "user", Content: "again"}}
		noErr(t, s.AppendMessages(ctx, c.ID, more))
		equal(t, "seq", more[0].Seq, int64(3))
	})
	t.Run("append bumps updated_at", func(t *testing.T) {
		got, err := s.GetConversation(ctx, k.ID, c.ID)
		noErr(t, err)
		if !got.UpdatedAt.After(hourAgo) {
			t.Fatalf("updated_at %v not bumped", got.UpdatedAt)
		}
	})
	t.Run("nothing to append", func(t *testing.T) {
		noErr(t, s.AppendMessages(ctx, c.ID, nil))
	})
	t.Run("unknown conversation", func(t *testing.T) {
		isErr(t, s.AppendMessages(ctx, uuid.NewString(), []*store.Message{{Role: "user"}}), store.ErrNotFound)
	})
	t.Run("duplicate message id rolls back the batch", func(t *testing.T) {
		err := s.AppendMessages(ctx, c.ID, []*store.Message{{Role: "user"}, {ID: "m-2", Role: "user"}})
		isErr(t, err, store.ErrConflict)
		got, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", len(got), 3)
	})
	t.Run("unknown conversation lists nothing", func(t *testing.T) {
		got, err := s.ListMessages(ctx, uuid.NewString())
		noErr(t, err)
		equal(t, "messages", len(got), 0)
	})
	t.Run("concurrent appends keep seq unique and gapless", func(t *testing.T) {
		concurrentAppends(t, s, newConversation(t, s, k.ID).ID)
	})
}

func concurrentAppends(t *testing.T, s store.Store, conversationID string) {
	const writers, rounds, batch = 6, 8, 2
	var wg sync.WaitGroup
	errs := make(chan error, writers*rounds)
	for range writers {
		wg.Go(func() {
			for range rounds {
				msgs := make([]*store.Message, batch)
				for i := range msgs {
					msgs[i] = &store.Message{Role: "user", Content: "x"}
				}
				errs <- s.AppendMessages(t.Context(), conversationID, msgs)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		noErr(t, err)
	}
	got, err := s.ListMessages(t.Context(), conversationID)
	noErr(t, err)
	equal(t, "count", len(got), writers*rounds*batch)
	for i, m := range got {
		equal(t, "seq", m.Seq, int64(i+1))
	}
}

func testTranscripts(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	tests := []struct {
		name string
		data []byte
	}{
		{"insert", []byte(`{"type":"user"}` + "\n")},
		{"replace", bytes.Repeat([]byte{0, 1, 2, 0xff}, 64<<10)},
		{"empty", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := &store.Transcript{ConversationID: c.ID, SessionID: uuid.NewString(), Data: tc.data}
			noErr(t, s.PutTranscript(ctx, tr))
			got, err := s.GetTranscript(ctx, c.ID)
			noErr(t, err)
			equal(t, "session", got.SessionID, tr.SessionID)
			if !bytes.Equal(got.Data, tc.data) {
				t.Fatalf("data: got %d bytes, want %d", len(got.Data), len(tc.data))
			}
			equal(t, "updated_at", got.UpdatedAt, tr.UpdatedAt)
			isUTC(t, got.UpdatedAt)
		})
	}
	t.Run("not found", func(t *testing.T) {
		_, err := s.GetTranscript(ctx, uuid.NewString())
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("unknown conversation", func(t *testing.T) {
		err := s.PutTranscript(ctx, &store.Transcript{ConversationID: uuid.NewString(), SessionID: "s"})
		isErr(t, err, store.ErrNotFound)
	})
}
