package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

// newConversation creates a conversation of apiKeyID after applying mods.
func newConversation(t testing.TB, s store.Store, apiKeyID string, mods ...func(*store.Conversation)) *store.Conversation {
	t.Helper()
	c := &store.Conversation{ID: uuid.NewString(), APIKeyID: apiKeyID, Model: "sonnet", SessionID: uuid.NewString()}
	for _, m := range mods {
		m(c)
	}
	noErr(t, s.CreateConversation(t.Context(), c))
	return c
}

func testConversations(t *testing.T, open Open) {
	eachFresh(t, open, []storeCase{
		{"round trip", conversationRoundTrip},
		{"create errors", conversationCreateErrors},
		{"tenant isolation", conversationTenants},
		{"list", conversationList},
		{"delete removes everything", conversationDelete},
		{"idle", conversationIdle},
	})
}

func conversationRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID, func(c *store.Conversation) {
		c.SystemPrompt, c.Title, c.MaxTokens = "be brief", "hello", 1024
		c.Metadata = map[string]string{"a": "1", "b": "two"}
		c.Temperature = ptr(0.7)
		c.CreatedAt = at(0)
	})
	got, err := s.GetConversation(ctx, k.ID, c.ID)
	noErr(t, err)
	equal(t, "conversation", got, c)
	isUTC(t, got.CreatedAt, got.UpdatedAt)

	t.Run("generated id, nil temperature", func(t *testing.T) {
		c := newConversation(t, s, k.ID, func(c *store.Conversation) { c.ID = "" })
		got, err := s.GetConversation(ctx, k.ID, c.ID)
		noErr(t, err)
		equal(t, "conversation", got, c)
	})
	t.Run("update", func(t *testing.T) {
		c.Model, c.Title, c.SessionID, c.Temperature = "opus", "renamed", uuid.NewString(), nil
		c.Metadata = map[string]string{"z": "26"}
		noErr(t, s.UpdateConversation(ctx, c))
		got, err := s.GetConversation(ctx, k.ID, c.ID)
		noErr(t, err)
		equal(t, "conversation", got, c)
		equal(t, "created_at", got.CreatedAt, at(0))
	})
}

func conversationCreateErrors(t *testing.T, s store.Store) {
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	tests := []struct {
		name string
		c    store.Conversation
		want error
	}{
		{"duplicate id", store.Conversation{ID: c.ID, APIKeyID: k.ID}, store.ErrConflict},
		{"unknown key", store.Conversation{ID: uuid.NewString(), APIKeyID: uuid.NewString()}, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isErr(t, s.CreateConversation(t.Context(), &tc.c), tc.want)
		})
	}
}

func conversationTenants(t *testing.T, s store.Store) {
	ctx := t.Context()
	owner, intruder := newKey(t, s), newKey(t, s)
	c := newConversation(t, s, owner.ID)
	t.Run("get", func(t *testing.T) {
		_, err := s.GetConversation(ctx, intruder.ID, c.ID)
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("update", func(t *testing.T) {
		u := *c
		u.APIKeyID, u.Title = intruder.ID, "hijacked"
		isErr(t, s.UpdateConversation(ctx, &u), store.ErrNotFound)
	})
	t.Run("delete", func(t *testing.T) {
		isErr(t, s.DeleteConversation(ctx, intruder.ID, c.ID), store.ErrNotFound)
	})
	t.Run("list", func(t *testing.T) {
		got, total, err := s.ListConversations(ctx, intruder.ID, 0, 0)
		noErr(t, err)
		equal(t, "total", total, 0)
		equal(t, "len", len(got), 0)
	})
	t.Run("owner still sees it unchanged", func(t *testing.T) {
		got, err := s.GetConversation(ctx, owner.ID, c.ID)
		noErr(t, err)
		equal(t, "conversation", got, c)
	})
}

func conversationList(t *testing.T, s store.Store) {
	ctx := t.Context()
	k, other := newKey(t, s), newKey(t, s)
	newConversation(t, s, other.ID)
	for i := range 5 {
		newConversation(t, s, k.ID, func(c *store.Conversation) { c.UpdatedAt = at(time.Duration(i) * time.Minute) })
	}
	tests := []struct {
		name                     string
		limit, offset            int
		wantLen, wantTotal, want int // want: minutes of the first row's UpdatedAt
	}{
		{"default limit", 0, 0, 5, 5, 4},
		{"page", 2, 1, 2, 5, 3},
		{"tail", 2, 4, 1, 5, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, total, err := s.ListConversations(ctx, k.ID, tc.limit, tc.offset)
			noErr(t, err)
			equal(t, "total", total, tc.wantTotal)
			equal(t, "len", len(got), tc.wantLen)
			equal(t, "first updated_at", got[0].UpdatedAt, at(time.Duration(tc.want)*time.Minute))
		})
	}
}

func conversationDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	noErr(t, s.AppendMessages(ctx, c.ID, []*store.Message{{Role: "user", Content: "hi"}}))
	noErr(t, s.PutTranscript(ctx, &store.Transcript{ConversationID: c.ID, SessionID: c.SessionID, Data: []byte("{}")}))
	_, err := s.AcquireLease(ctx, c.ID, "node-a", time.Hour)
	noErr(t, err)

	noErr(t, s.DeleteConversation(ctx, k.ID, c.ID))
	_, err = s.GetConversation(ctx, k.ID, c.ID)
	isErr(t, err, store.ErrNotFound)
	msgs, err := s.ListMessages(ctx, c.ID)
	noErr(t, err)
	equal(t, "messages", len(msgs), 0)
	_, err = s.GetTranscript(ctx, c.ID)
	isErr(t, err, store.ErrNotFound)
	_, err = s.AcquireLease(ctx, c.ID, "node-b", time.Hour)
	noErr(t, err) // the lease went with the conversation
	isErr(t, s.DeleteConversation(ctx, k.ID, c.ID), store.ErrNotFound)
}

func conversationIdle(t *testing.T, s store.Store) {
	k := newKey(t, s)
	for i := range 4 {
		newConversation(t, s, k.ID, func(c *store.Conversation) { c.UpdatedAt = at(time.Duration(i) * time.Hour) })
	}
	tests := []struct {
		name    string
		before  time.Time
		limit   int
		wantLen int
	}{
		{"none idle", at(0), 0, 0},
		{"strictly before", at(2 * time.Hour), 0, 2},
		{"all", at(time.Hour * 10), 0, 4},
		{"limit", at(time.Hour * 10), 3, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.ListIdleConversations(t.Context(), tc.before, tc.limit)
			noErr(t, err)
			equal(t, "len", len(got), tc.wantLen)
			for i := 1; i < len(got); i++ {
				if got[i].UpdatedAt.Before(got[i-1].UpdatedAt) {
					t.Fatal("not oldest first")
				}
			}
		})
	}
}
