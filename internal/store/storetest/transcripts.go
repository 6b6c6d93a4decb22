package storetest

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testTranscriptAppend checks that a growing transcript reads back exactly as last
// committed whether its commits append (the stored bytes are a prefix of the new
// ones), rewrite (they are not, or another session), or pass the chunk limit; and
// that a failed commit leaves the previous transcript whole.
func testTranscriptAppend(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	lease, err := s.AcquireLease(ctx, c.ID, "node-a", time.Minute)
	noErr(t, err)
	session := uuid.NewString()
	turnNo := 0
	commit := func(t *testing.T, session string, data []byte) error {
		turnNo++
		msgs := []*store.Message{{Role: "user", Content: "hi"}, {ID: fmt.Sprintf("m-%d", turnNo), Role: "assistant", Content: "hello"}}
		return s.CommitTurn(ctx, lease, msgs, &store.Transcript{SessionID: session, Data: data})
	}
	check := func(t *testing.T, session string, want []byte) {
		t.Helper()
		tr, err := s.GetTranscript(ctx, c.ID)
		noErr(t, err)
		if !bytes.Equal(tr.Data, want) || tr.SessionID != session {
			t.Fatalf("transcript %q (session %s), want %q (session %s)", tr.Data, tr.SessionID, want, session)
		}
	}
	var data []byte
	line := func(i int) []byte {
		return fmt.Appendf(nil, "{\"turn\":%d,\"pad\":%q}\n", i, bytes.Repeat([]byte("x"), i%7))
	}

	t.Run("appends read back whole, past the chunk limit", func(t *testing.T) {
		for i := range 150 { // more commits than the chunk limit: folds and starts again
			data = append(data, line(i)...)
			noErr(t, commit(t, session, data))
			if i%37 == 0 {
				check(t, session, data)
			}
		}
		check(t, session, data)
	})
	t.Run("an unchanged transcript stays", func(t *testing.T) {
		noErr(t, commit(t, session, data))
		check(t, session, data)
	})
	t.Run("a rewritten prefix replaces it", func(t *testing.T) {
		rewritten := append([]byte(nil), data...)
		rewritten[3] ^= 1 // same size, one byte changed
		rewritten = append(rewritten, line(999)...)
		noErr(t, commit(t, session, rewritten))
		check(t, session, rewritten)
		data = rewritten
	})
	t.Run("a shorter transcript replaces it", func(t *testing.T) {
		data = data[:len(data)/2]
		noErr(t, commit(t, session, data))
		check(t, session, data)
		data = append(data, line(1000)...)
		noErr(t, commit(t, session, data))
		check(t, session, data)
	})
	t.Run("another session replaces it", func(t *testing.T) {
		other := uuid.NewString()
		noErr(t, commit(t, other, append(append([]byte(nil), data...), line(1001)...)))
		check(t, other, append(append([]byte(nil), data...), line(1001)...))
		session, data = other, append(data, line(1001)...)
	})
	t.Run("a failed commit keeps the previous transcript", func(t *testing.T) {
		msgs := []*store.Message{{Role: "user", Content: "hi"}, {ID: "m-1", Role: "assistant", Content: "dup"}} // duplicate id
		grown := append(append([]byte(nil), data...), line(2000)...)
		isErr(t, s.CommitTurn(ctx, lease, msgs, &store.Transcript{SessionID: session, Data: grown}), store.ErrConflict)
		check(t, session, data)
		noErr(t, commit(t, session, grown))
		check(t, session, grown)
	})
	t.Run("PutTranscript replaces appended chunks", func(t *testing.T) {
		noErr(t, s.PutTranscript(ctx, &store.Transcript{ConversationID: c.ID, SessionID: session, Data: []byte("fresh\n")}))
		check(t, session, []byte("fresh\n"))
	})
	t.Run("deleted with the conversation", func(t *testing.T) {
		noErr(t, commit(t, session, []byte("fresh\nmore\n")))
		noErr(t, s.DeleteConversation(ctx, k.ID, c.ID))
		_, err := s.GetTranscript(ctx, c.ID)
		isErr(t, err, store.ErrNotFound)
	})
}
