package storetest

import (
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testHistoryHashes checks the history-hash index of conversations: per-key
// isolation, replacement, the latest of equal hashes, and removal with the
// conversation.
func testHistoryHashes(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k1, k2 := newKey(t, s), newKey(t, s)
	a := newConversation(t, s, k1.ID)
	b := newConversation(t, s, k1.ID)
	other := newConversation(t, s, k2.ID)

	t.Run("unknown hash", func(t *testing.T) {
		_, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h0")
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("set and find", func(t *testing.T) {
		noErr(t, s.SetConversationHistoryHash(ctx, k1.ID, a.ID, "h1"))
		got, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h1")
		noErr(t, err)
		equal(t, "conversation", got.ID, a.ID)
		equal(t, "owner", got.APIKeyID, k1.ID)
	})
	t.Run("per key", func(t *testing.T) {
		_, err := s.FindConversationByHistoryHash(ctx, k2.ID, "h1")
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.SetConversationHistoryHash(ctx, k2.ID, a.ID, "h9"), store.ErrNotFound)
		isErr(t, s.SetConversationHistoryHash(ctx, k1.ID, "no-such-conversation", "h9"), store.ErrNotFound)
		noErr(t, s.SetConversationHistoryHash(ctx, k2.ID, other.ID, "h1"))
		got, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h1")
		noErr(t, err)
		equal(t, "k1's conversation", got.ID, a.ID)
	})
	t.Run("replaced", func(t *testing.T) {
		noErr(t, s.SetConversationHistoryHash(ctx, k1.ID, a.ID, "h2"))
		_, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h1")
		isErr(t, err, store.ErrNotFound)
		got, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h2")
		noErr(t, err)
		equal(t, "conversation", got.ID, a.ID)
	})
	t.Run("latest of equal hashes", func(t *testing.T) {
		time.Sleep(5 * time.Millisecond) // distinct update times: the order is by time
		noErr(t, s.SetConversationHistoryHash(ctx, k1.ID, b.ID, "h2"))
		got, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h2")
		noErr(t, err)
		equal(t, "latest", got.ID, b.ID)
	})
	t.Run("deleted with the conversation", func(t *testing.T) {
		noErr(t, s.DeleteConversation(ctx, k1.ID, b.ID))
		got, err := s.FindConversationByHistoryHash(ctx, k1.ID, "h2")
		noErr(t, err)
		equal(t, "remaining", got.ID, a.ID)
		noErr(t, s.DeleteConversation(ctx, k1.ID, a.ID))
		_, err = s.FindConversationByHistoryHash(ctx, k1.ID, "h2")
		isErr(t, err, store.ErrNotFound)
	})
}
