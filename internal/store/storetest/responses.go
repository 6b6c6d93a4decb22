package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testResponses checks stored Responses API objects: round trip, per-key
// isolation, duplicates, delete, and removal with their conversation.
func testResponses(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k1, k2 := newKey(t, s), newKey(t, s)
	c := newConversation(t, s, k1.ID)
	r := &store.StoredResponse{ID: "resp_1", APIKeyID: k1.ID, ConversationID: c.ID, MessageSeq: 2, Body: []byte(`{"id":"resp_1"}`)}

	t.Run("round trip", func(t *testing.T) {
		noErr(t, s.PutResponse(ctx, r))
		got, err := s.GetResponse(ctx, k1.ID, "resp_1")
		noErr(t, err)
		equal(t, "conversation", got.ConversationID, c.ID)
		equal(t, "seq", got.MessageSeq, int64(2))
		equal(t, "body", string(got.Body), `{"id":"resp_1"}`)
		equal(t, "created", got.CreatedAt, r.CreatedAt)
	})
	t.Run("duplicate id", func(t *testing.T) {
		isErr(t, s.PutResponse(ctx, r), store.ErrConflict)
	})
	t.Run("per key", func(t *testing.T) {
		_, err := s.GetResponse(ctx, k2.ID, "resp_1")
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.DeleteResponse(ctx, k2.ID, "resp_1"), store.ErrNotFound)
		other := &store.StoredResponse{ID: "resp_x", APIKeyID: k2.ID, ConversationID: c.ID, Body: []byte(`{}`)}
		isErr(t, s.PutResponse(ctx, other), store.ErrNotFound)
	})
	t.Run("delete", func(t *testing.T) {
		noErr(t, s.DeleteResponse(ctx, k1.ID, "resp_1"))
		_, err := s.GetResponse(ctx, k1.ID, "resp_1")
		isErr(t, err, store.ErrNotFound)
		isErr(t, s.DeleteResponse(ctx, k1.ID, "resp_1"), store.ErrNotFound)
	})
	t.Run("gone with the conversation", func(t *testing.T) {
		noErr(t, s.PutResponse(ctx, &store.StoredResponse{ID: "resp_2", APIKeyID: k1.ID, ConversationID: c.ID, Body: []byte(`{}`)}))
		noErr(t, s.DeleteConversation(ctx, k1.ID, c.ID))
		_, err := s.GetResponse(ctx, k1.ID, "resp_2")
		isErr(t, err, store.ErrNotFound)
	})
}

// testIdempotency checks Idempotency-Key records: claim, replay of the first
// answer, in-flight claims, expiry, release, purge, and one winner among
// concurrent claims.
func testIdempotency(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	long := time.Now().Add(-24 * time.Hour)
	claim := func(key, hash string, notBefore time.Time) (*store.IdempotencyRecord, *store.IdempotencyRecord) {
		t.Helper()
		r := &store.IdempotencyRecord{Scope: "k1", Operation: "create-chat", Key: key, RequestHash: hash}
		prev, err := s.ClaimIdempotencyKey(ctx, r, notBefore)
		noErr(t, err)
		return r, prev
	}

	t.Run("first claim wins, then in flight", func(t *testing.T) {
		_, prev := claim("a", "h1", long)
		if prev != nil {
			t.Fatalf("first claim returned %+v", prev)
		}
		_, prev = claim("a", "h1", long)
		if prev == nil || prev.Status != 0 || prev.RequestHash != "h1" {
			t.Fatalf("second claim: %+v", prev)
		}
	})
	t.Run("complete, then replay", func(t *testing.T) {
		r := &store.IdempotencyRecord{Scope: "k1", Operation: "create-chat", Key: "a", RequestHash: "h1", Status: 201,
			Header: map[string][]string{"Location": {"/api/conversations/c1"}}, Body: []byte(`{"id":"c1"}`)}
		noErr(t, s.CompleteIdempotencyKey(ctx, r))
		_, prev := claim("a", "h2", long)
		if prev == nil {
			t.Fatal("a completed key was claimed again")
		}
		equal(t, "status", prev.Status, 201)
		equal(t, "hash", prev.RequestHash, "h1")
		equal(t, "header", prev.Header, map[string][]string{"Location": {"/api/conversations/c1"}})
		equal(t, "body", string(prev.Body), `{"id":"c1"}`)
	})
	t.Run("scoped by owner and operation", func(t *testing.T) {
		for _, r := range []*store.IdempotencyRecord{
			{Scope: "k2", Operation: "create-chat", Key: "a", RequestHash: "h"},
			{Scope: "k1", Operation: "create-conversation", Key: "a", RequestHash: "h"},
		} {
			prev, err := s.ClaimIdempotencyKey(ctx, r, long)
			noErr(t, err)
			if prev != nil {
				t.Errorf("%s/%s saw another scope's record", r.Scope, r.Operation)
			}
		}
	})
	t.Run("expired records are replaced", func(t *testing.T) {
		_, prev := claim("a", "h3", time.Now().Add(time.Hour))
		if prev != nil {
			t.Fatalf("an expired record was returned: %+v", prev)
		}
		_, prev = claim("a", "h4", long)
		equal(t, "new claim's hash", prev.RequestHash, "h3")
	})
	t.Run("complete needs the claim", func(t *testing.T) {
		isErr(t, s.CompleteIdempotencyKey(ctx, &store.IdempotencyRecord{Scope: "k1", Operation: "create-chat", Key: "nope", RequestHash: "h", Status: 200}), store.ErrNotFound)
	})
	t.Run("release", func(t *testing.T) {
		claim("b", "h1", long)
		noErr(t, s.ReleaseIdempotencyKey(ctx, "k1", "create-chat", "b"))
		if _, prev := claim("b", "h1", long); prev != nil {
			t.Fatalf("a released key is still held: %+v", prev)
		}
	})
	t.Run("purge", func(t *testing.T) {
		n, err := s.PurgeIdempotencyKeys(ctx, time.Now().Add(time.Hour))
		noErr(t, err)
		if n < 3 {
			t.Fatalf("purged %d records, want at least 3", n)
		}
		if _, prev := claim("a", "h9", long); prev != nil {
			t.Fatalf("a purged key is still held: %+v", prev)
		}
	})
	t.Run("one winner among concurrent claims", func(t *testing.T) {
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins := 0
		for range 8 {
			wg.Go(func() {
				prev, err := s.ClaimIdempotencyKey(ctx, &store.IdempotencyRecord{Scope: "k1", Operation: "create-chat", Key: "race", RequestHash: "h"}, long)
				if err != nil {
					t.Error(err)
					return
				}
				if prev == nil {
					mu.Lock()
					wins++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		equal(t, "winners", wins, 1)
	})
}
