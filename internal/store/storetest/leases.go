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
	t.Run("take over a dead owner's leases", func(t *testing.T) {
		leaseTakeOver(t, s)
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

func leaseTakeOver(t *testing.T, s store.Store) {
	ctx := t.Context()
	dead, alive := "dead-"+uuid.NewString(), "alive-"+uuid.NewString()
	var deads []*store.Lease
	for range 3 {
		l, err := s.AcquireLease(ctx, uuid.NewString(), dead, time.Hour)
		noErr(t, err)
		deads = append(deads, l)
	}
	other, err := s.AcquireLease(ctx, uuid.NewString(), alive, time.Hour)
	noErr(t, err)
	lapsed, err := s.AcquireLease(ctx, uuid.NewString(), dead, -time.Second)
	noErr(t, err)

	n, err := s.TakeOverLeases(ctx, dead)
	noErr(t, err)
	equal(t, "leases taken over", n, int64(3)) // not the lapsed one, not another owner's
	for _, l := range deads {
		old := *l
		// The dead owner's renewal and fenced commit fail: its token is stale.
		isErr(t, s.RenewLease(ctx, &old, time.Hour), store.ErrLeaseHeld)
		// Another owner acquires at once, with a token above the dead one's.
		got, err := s.AcquireLease(ctx, l.ConversationID, alive, time.Hour)
		noErr(t, err)
		if got.Token <= l.Token {
			t.Errorf("token after take-over %d, want above %d", got.Token, l.Token)
		}
	}
	noErr(t, s.RenewLease(ctx, other, time.Hour)) // untouched
	noErr(t, s.RenewLease(ctx, lapsed, time.Hour))
	n, err = s.TakeOverLeases(ctx, "nobody")
	noErr(t, err)
	equal(t, "leases of an unknown owner", n, int64(0))
}
