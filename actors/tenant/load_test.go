package tenant

import (
	"context"
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
