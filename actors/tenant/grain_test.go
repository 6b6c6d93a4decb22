package tenant

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// clock is a settable Deps.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }
func newClock(t time.Time) *clock    { return &clock{t: t} }
func ask(t *testing.T, sys *actor.ActorSystem, pid *actor.PID, m any) any {
	t.Helper()
	res, err := sys.Root.RequestFuture(pid, m, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func newTestGrain(t *testing.T, clk *clock) (*actor.ActorSystem, *actor.PID) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	pid := sys.Root.Spawn(Props(&Deps{Store: st, Now: clk.now, HoldTTL: time.Hour}))
	return sys, pid
}

func inFlight(t *testing.T, sys *actor.ActorSystem, pid *actor.PID) int64 {
	t.Helper()
	return ask(t, sys, pid, &messages.TenantCountersRequest{}).(*messages.TenantCounters).InFlight
}

// TestHoldsExpireUnderSteadyTraffic: a slot never settled is dropped after HoldTTL
// even though admissions keep arriving (and so the receive timeout never fires),
// and an admission whose caller stopped waiting holds no slot.
func TestHoldsExpireUnderSteadyTraffic(t *testing.T) {
	clk := newClock(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	sys, pid := newTestGrain(t, clk)
	admit := func(ticket string, deadline int64) *messages.AdmitReply {
		in := abijson.AppendInput(nil, &abi.Input{ABI: abi.Version, Key: abi.Key{ID: "k1"}})
		return ask(t, sys, pid, &messages.AdmitRequest{ApiKeyId: "k1", Ticket: ticket, Input: in, DeadlineUnixMs: deadline}).(*messages.AdmitReply)
	}
	if r := admit("leaked", 0); !r.Allow {
		t.Fatalf("first admission: %+v", r)
	}
	for i := range 70 { // a request a minute, each settled
		clk.add(time.Minute)
		ticket := "t" + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if r := admit(ticket, 0); !r.Allow {
			t.Fatalf("admission %d: %+v", i, r)
		}
		sys.Root.Send(pid, &messages.Settle{ApiKeyId: "k1", Ticket: ticket})
	}
	if n := inFlight(t, sys, pid); n != 0 {
		t.Fatalf("in flight after HoldTTL with steady traffic: %d, want 0", n)
	}

	t.Run("timed-out admission", func(t *testing.T) {
		past := clk.now().Add(-time.Second).UnixMilli()
		if r := admit("late", past); r.Allow || r.Error != ErrTextAbandoned {
			t.Fatalf("admission past its deadline: %+v", r)
		}
		sys.Root.Send(pid, &messages.Settle{ApiKeyId: "k1", Ticket: "released"}) // the caller gave up first
		if r := admit("released", 0); r.Allow || r.Error != ErrTextAbandoned {
			t.Fatalf("released admission: %+v", r)
		}
		if n := inFlight(t, sys, pid); n != 0 {
			t.Fatalf("in flight: %d, want 0", n)
		}
	})
}
