package storetest

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

func testLeases(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	id := uuid.NewString() // leases do not need a conversation row
	var held *store.Lease
	steps := []struct {
		name      string
		owner     string
		ttl       time.Duration
		err       error
		wantToken int64
	}{
		{"first acquisition", "a", time.Hour, nil, 1},
		{"held by another owner", "b", time.Hour, store.ErrLeaseHeld, 0},
		{"owner renews, token kept", "a", time.Hour, nil, 1},
		{"owner lets it lapse", "a", -time.Second, nil, 1},
		{"expired lease taken over", "b", time.Hour, nil, 2},
		{"old owner locked out", "a", time.Hour, store.ErrLeaseHeld, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			l, err := s.AcquireLease(ctx, id, st.owner, st.ttl)
			if st.err != nil {
				isErr(t, err, st.err)
				return
			}
			noErr(t, err)
			equal(t, "token", l.Token, st.wantToken)
			equal(t, "owner", l.Owner, st.owner)
			isUTC(t, l.ExpiresAt)
			held = l
		})
	}
	stale := &store.Lease{ConversationID: id, Owner: "a", Token: 1}
	t.Run("renew", func(t *testing.T) {
		before := held.ExpiresAt
		noErr(t, s.RenewLease(ctx, held, 2*time.Hour))
		if !held.ExpiresAt.After(before) {
			t.Fatalf("expiry not extended: %v", held.ExpiresAt)
		}
	})
	t.Run("renew with a stale token", func(t *testing.T) {
		isErr(t, s.RenewLease(ctx, stale, time.Hour), store.ErrLeaseHeld)
	})
	t.Run("release with a stale token", func(t *testing.T) {
		isErr(t, s.ReleaseLease(ctx, stale), store.ErrLeaseHeld)
	})
	t.Run("unknown lease", func(t *testing.T) {
		missing := &store.Lease{ConversationID: uuid.NewString(), Owner: "a", Token: 1}
		isErr(t, s.RenewLease(ctx, missing, time.Hour), store.ErrNotFound)
		isErr(t, s.ReleaseLease(ctx, missing), store.ErrNotFound)
	})
	t.Run("release lets another owner in with a larger token", func(t *testing.T) {
		noErr(t, s.ReleaseLease(ctx, held))
		l, err := s.AcquireLease(ctx, id, "c", time.Hour)
		noErr(t, err)
		equal(t, "token", l.Token, held.Token+1)
	})
	t.Run("contention has one winner", func(t *testing.T) {
		leaseContention(t, s)
	})
}

func leaseContention(t *testing.T, s store.Store) {
	id := uuid.NewString()
	const contenders = 8
	var wg sync.WaitGroup
	results := make(chan error, contenders)
	for range contenders {
		wg.Go(func() {
			_, err := s.AcquireLease(t.Context(), id, uuid.NewString(), time.Hour)
			results <- err
		})
	}
	wg.Wait()
	close(results)
	wins := 0
	for err := range results {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, store.ErrLeaseHeld):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	equal(t, "winners", wins, 1)
}
