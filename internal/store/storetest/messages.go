package storetest

import (
	"bytes"
	"strings"
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

func testMessagesPage(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	const n = 25
	all := make([]*store.Message, n)
	for i := range all {
		all[i] = &store.Message{Role: []string{"user", "assistant"}[i%2], Content: strings.Repeat("x", i+1)}
	}
	noErr(t, s.AppendMessages(ctx, c.ID, all))
	// Noise in another conversation must not show up or count.
	noErr(t, s.AppendMessages(ctx, newConversation(t, s, k.ID).ID, []*store.Message{{Role: "user", Content: "other"}}))
	seqs := func(ms []*store.Message) []int64 {
		out := make([]int64, len(ms))
		for i, m := range ms {
			out[i] = m.Seq
		}
		return out
	}
	span := func(from, to int64) []int64 { // from..to inclusive
		var out []int64
		for q := from; q <= to; q++ {
			out = append(out, q)
		}
		return out
	}
	tests := []struct {
		name    string
		q       store.MessagePageQuery
		want    []int64
		hasMore bool
	}{
		{"latest page", store.MessagePageQuery{Limit: 10}, span(16, 25), true},
		{"before cursor", store.MessagePageQuery{Limit: 10, Before: 16}, span(6, 15), true},
		{"reaches the first", store.MessagePageQuery{Limit: 10, Before: 6}, span(1, 5), false},
		{"exact fit", store.MessagePageQuery{Limit: 5, Before: 6}, span(1, 5), false},
		{"limit above total", store.MessagePageQuery{Limit: 1000}, span(1, 25), false},
		{"default limit", store.MessagePageQuery{}, span(1, 25), false},
		{"cursor past the end", store.MessagePageQuery{Limit: 3, Before: 1000}, span(23, 25), true},
		{"cursor at the first", store.MessagePageQuery{Limit: 3, Before: 1}, nil, false},
		// MessageSize of seq 25 is 256+4+25 = 285, of seq 24 256+9+24 = 289: 600 fits two.
		{"byte bound", store.MessagePageQuery{Limit: 10, MaxBytes: 600}, span(24, 25), true},
		{"byte bound keeps one", store.MessagePageQuery{Limit: 10, MaxBytes: 1}, span(25, 25), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.ListMessagesPage(ctx, c.ID, tc.q)
			noErr(t, err)
			if tc.want == nil {
				tc.want = []int64{}
			}
			equal(t, "seqs", seqs(p.Messages), tc.want)
			equal(t, "total", p.Total, n)
			equal(t, "has more", p.HasMore, tc.hasMore)
		})
	}
	t.Run("messages match ListMessages", func(t *testing.T) {
		p, err := s.ListMessagesPage(ctx, c.ID, store.MessagePageQuery{Limit: 4, Before: 10})
		noErr(t, err)
		full, err := s.ListMessages(ctx, c.ID)
		noErr(t, err)
		equal(t, "messages", p.Messages, full[5:9])
	})
	t.Run("unknown conversation", func(t *testing.T) {
		p, err := s.ListMessagesPage(ctx, uuid.NewString(), store.MessagePageQuery{Limit: 10})
		noErr(t, err)
		equal(t, "page", *p, store.MessagePage{Messages: []*store.Message{}})
	})
}
