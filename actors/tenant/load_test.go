package tenant

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// gatedStore holds the rebuild's first read until gate is closed.
type gatedStore struct {
	store.Store
	entered chan struct{}
	gate    chan struct{}
}

func (s *gatedStore) SumUsage(ctx context.Context, f store.UsageFilter) (store.UsageTotals, error) {
	select {
	case s.entered <- struct{}{}:
	default:
	}
	<-s.gate
	return s.Store.SumUsage(ctx, f)
}

// TestSettleDuringLoadCountsOnce: a turn settled while the grain rebuilds its
// counters is counted once, even when its usage event is written right after the
// settle is answered (as the API does) and the rebuild has not read the store yet.
func TestSettleDuringLoadCountsOnce(t *testing.T) {
	ctx := context.Background()
	base, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	if err := base.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := &gatedStore{Store: base, entered: make(chan struct{}, 1), gate: make(chan struct{})}
	now := time.Now().UTC()
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(Props(&Deps{Store: st, Now: func() time.Time { return now }}))

	in := abijson.AppendInput(nil, &abi.Input{ABI: abi.Version, Key: abi.Key{ID: "k1"}})
	admitted := sys.Root.RequestFuture(pid, &messages.AdmitRequest{ApiKeyId: "k1", Ticket: "new", Input: in}, 5*time.Second)
	<-st.entered // the rebuild is about to read the store

	// A turn admitted by the grain's previous activation ends now: the API settles
	// it, then records its usage event.
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		if _, err := sys.Root.RequestFuture(pid, &messages.Settle{ApiKeyId: "k1", Ticket: "old", Tokens: 10}, 5*time.Second).Result(); err != nil {
			t.Error(err)
			return
		}
		ev := &store.UsageEvent{APIKeyID: "k1", Timestamp: now.Add(-time.Second), Model: "m", StatusCode: 200, TotalTokens: 10, Admitted: true}
		if err := base.InsertUsageEvents(ctx, []*store.UsageEvent{ev}); err != nil {
			t.Error(err)
		}
	}()
	select {
	case <-recorded: // the settle was answered before the rebuild read the store
	case <-time.After(300 * time.Millisecond):
	}
	close(st.gate)
	if _, err := admitted.Result(); err != nil {
		t.Fatal(err)
	}
	<-recorded
	c := ask(t, sys, pid, &messages.TenantCountersRequest{}).(*messages.TenantCounters)
	if c.TokensToday != 10 {
		t.Fatalf("tokens today %d, want the settled turn's 10 once", c.TokensToday)
	}
}

// flakyStore fails the first fails rebuild reads (SumUsage); a later read waits
// for gate when gate is set. Each read sends its number on entered, when set.
type flakyStore struct {
	store.Store
	fails   int32
	calls   atomic.Int32
	entered chan int32
	gate    chan struct{}
}

var errStoreDown = errors.New("store down")

func (s *flakyStore) SumUsage(ctx context.Context, f store.UsageFilter) (store.UsageTotals, error) {
	n := s.calls.Add(1)
	if s.entered != nil {
		s.entered <- n
	}
	if n <= s.fails {
		return store.UsageTotals{}, errStoreDown
	}
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return store.UsageTotals{}, ctx.Err()
		}
	}
	return s.Store.SumUsage(ctx, f)
}

// waitRead waits for the store's n-th rebuild read.
func (s *flakyStore) waitRead(t *testing.T, n int32) {
	t.Helper()
	for {
		select {
		case got := <-s.entered:
			if got == n {
				return
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("rebuild read %d never came (%d so far)", n, s.calls.Load())
		}
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestRebuildRetrySettlesOnce: the rebuild fails twice and is retried while an
// admission waits; a turn settled meanwhile (twice, as a caller whose first try
// timed out does) is answered only once a rebuild has read the store, so its usage
// event, written after that answer, is not in the rebuild, and its tokens count
// exactly once. The waiting admission is allowed, not refused.
func TestRebuildRetrySettlesOnce(t *testing.T) {
	ctx := context.Background()
	base := openStore(t)
	st := &flakyStore{Store: base, fails: 2, entered: make(chan int32, 16), gate: make(chan struct{})}
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(Props(&Deps{Store: st}))

	in := abijson.AppendInput(nil, &abi.Input{ABI: abi.Version, Key: abi.Key{ID: "k1"}})
	admitted := sys.Root.RequestFuture(pid, &messages.AdmitRequest{ApiKeyId: "k1", Ticket: "new", Input: in,
		DeadlineUnixMs: time.Now().Add(30 * time.Second).UnixMilli()}, 30*time.Second)
	st.waitRead(t, 1) // the first rebuild fails

	settle := &messages.Settle{ApiKeyId: "k1", Ticket: "old", Tokens: 10, CostUsd: 0.25}
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		if _, err := sys.Root.RequestFuture(pid, settle, 30*time.Second).Result(); err != nil {
			t.Error(err)
			return
		}
		ev := &store.UsageEvent{APIKeyID: "k1", Timestamp: time.Now().UTC(), Model: "m", StatusCode: 200,
			TotalTokens: 10, CostUSD: 0.25, Admitted: true}
		if err := base.InsertUsageEvents(ctx, []*store.UsageEvent{ev}); err != nil {
			t.Error(err)
		}
	}()
	sys.Root.Send(pid, settle) // the repeat

	st.waitRead(t, 2) // the first retry fails too
	st.waitRead(t, 3) // the second one will succeed; it is held before it reads
	select {
	case <-recorded:
		t.Fatal("the settle was answered before a rebuild read the store")
	case <-time.After(300 * time.Millisecond):
	}
	close(st.gate)
	r := admitReply(t, admitted)
	if !r.Allow || r.Error != "" {
		t.Fatalf("the admission that waited through the failed rebuilds: %+v, want allowed", r)
	}
	<-recorded
	c := counts(t, sys, pid)
	if c.TokensToday != 10 || c.CostToday != 0.25 || c.RequestsToday != 1 || c.InFlight != 1 {
		t.Fatalf("counters %+v: want the settled turn's 10 tokens and $0.25 once, and the new admission", c)
	}
	if n := st.calls.Load(); n != 3 {
		t.Fatalf("%d rebuild reads, want 3 (two failures, one success)", n)
	}
}

// TestRebuildRetryEndsAtDeadline: with the store down for good, an admission waits
// through the retries only while its deadline allows another attempt, then gets
// ErrTextUnavailable from the grain (not its own timeout).
func TestRebuildRetryEndsAtDeadline(t *testing.T) {
	st := &flakyStore{Store: openStore(t), fails: 1 << 30}
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(Props(&Deps{Store: st}))
	in := abijson.AppendInput(nil, &abi.Input{ABI: abi.Version, Key: abi.Key{ID: "k1"}})
	// Attempts at about 0, 100, 300 and 700 ms fail; the next would come at 1.5 s,
	// after the deadline.
	req := &messages.AdmitRequest{ApiKeyId: "k1", Ticket: "a", Input: in,
		DeadlineUnixMs: time.Now().Add(time.Second).UnixMilli()}
	r := admitReply(t, sys.Root.RequestFuture(pid, req, 10*time.Second))
	if r.Allow || r.Error != ErrTextUnavailable {
		t.Fatalf("admission: %+v, want ErrTextUnavailable", r)
	}
	if n := st.calls.Load(); n < 2 {
		t.Fatalf("%d rebuild reads before the refusal, want the first and at least one retry", n)
	}
}
