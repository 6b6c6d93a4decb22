package tenant

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// gateObserver holds every chain evaluation in DecisionMade until the gate opens,
// and records how many ran at once.
type gateObserver struct {
	entered chan struct{} // one send per evaluation that reached DecisionMade
	gate    chan struct{}

	mu             sync.Mutex
	active, maxRun int
}

func newGateObserver() *gateObserver {
	return &gateObserver{entered: make(chan struct{}, 64), gate: make(chan struct{})}
}

func (o *gateObserver) PolicyEvaluated(context.Context, policies.Event) {}

func (o *gateObserver) DecisionMade(ctx context.Context, _ policies.Decision, _ time.Duration, _ error) {
	if policies.IsDryRun(ctx) {
		return
	}
	o.mu.Lock()
	o.active++
	o.maxRun = max(o.maxRun, o.active)
	o.mu.Unlock()
	o.entered <- struct{}{}
	<-o.gate
	o.mu.Lock()
	o.active--
	o.mu.Unlock()
}

func (o *gateObserver) open() { close(o.gate) }

func (o *gateObserver) maxConcurrent() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.maxRun
}

// waitEntered waits for one evaluation to reach the gate.
func (o *gateObserver) waitEntered(t *testing.T) {
	t.Helper()
	select {
	case <-o.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no evaluation started")
	}
}

// noneEntered checks that no further evaluation starts within d.
func (o *gateObserver) noneEntered(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-o.entered:
		t.Fatal("a second evaluation started while the first was running")
	case <-time.After(d):
	}
}

var policyCache string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tenant-test-")
	if err != nil {
		panic(err)
	}
	policyCache = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newPolicyGrain spawns a grain that evaluates the bundled chain (ratelimit,
// permissions) on a real engine; obs, when set, observes (and may hold) evaluations.
func newPolicyGrain(t *testing.T, clk *clock, obs policies.Observer, tune func(*Deps)) (*actor.ActorSystem, *actor.PID) {
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
	cfg := policies.Config{CacheDir: policyCache, CallTimeout: 5 * time.Second}
	if obs != nil {
		cfg.Observer = obs
	}
	e, err := policies.NewEngine(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := policies.DefaultChain(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	reg := policies.NewRegistry(chain)
	sys := actor.NewActorSystem()
	// Cleanups run last-in first-out: the system stops before the engine closes.
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	t.Cleanup(reg.Close)
	t.Cleanup(sys.Shutdown)
	d := &Deps{Store: st, Policies: reg, Now: clk.now, HoldTTL: time.Hour, EvalTimeout: 10 * time.Second}
	if tune != nil {
		tune(d)
	}
	return sys, sys.Root.Spawn(Props(d))
}

// admission encodes an AdmitRequest of key k1 for ticket.
func admission(ticket string, key abi.Key) *messages.AdmitRequest {
	key.ID = "k1"
	in := abijson.AppendInput(nil, &abi.Input{ABI: abi.Version, Key: key, Request: abi.Request{Model: "sonnet"}})
	return &messages.AdmitRequest{ApiKeyId: "k1", Ticket: ticket, Input: in}
}

func admitReply(t *testing.T, f *actor.Future) *messages.AdmitReply {
	t.Helper()
	res, err := f.Result()
	if err != nil {
		t.Fatal(err)
	}
	r, ok := res.(*messages.AdmitReply)
	if !ok {
		t.Fatalf("answer %T", res)
	}
	return r
}

func counts(t *testing.T, sys *actor.ActorSystem, pid *actor.PID) *messages.TenantCounters {
	t.Helper()
	return ask(t, sys, pid, &messages.TenantCountersRequest{}).(*messages.TenantCounters)
}

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// TestAdmissionsAreDecidedOneAtATime: while one admission is decided the next one
// waits (counter queries are answered meanwhile), and it is then decided on counts
// that include the first.
func TestAdmissionsAreDecidedOneAtATime(t *testing.T) {
	obs := newGateObserver()
	sys, pid := newPolicyGrain(t, newClock(t0), obs, nil)
	oneAMinute := abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 1}}

	first := sys.Root.RequestFuture(pid, admission("a", oneAMinute), 20*time.Second)
	second := sys.Root.RequestFuture(pid, admission("b", oneAMinute), 20*time.Second)
	obs.waitEntered(t)
	obs.noneEntered(t, 300*time.Millisecond)
	// The grain is not blocked by the evaluation: it answers a query, and the first
	// admission is not counted yet.
	if c := counts(t, sys, pid); c.RequestsLastMinute != 0 || c.InFlight != 0 {
		t.Fatalf("counters while the first admission is decided: %+v", c)
	}
	obs.open()
	if r := admitReply(t, first); !r.Allow {
		t.Fatalf("first admission: %+v", r)
	}
	r := admitReply(t, second)
	if r.Allow || r.Code != abi.CodeRateLimitMinute || r.Policy != policies.RateLimit {
		t.Fatalf("second admission: %+v; want a rate_limit_minute deny (it must see the first one's count)", r)
	}
	if n := obs.maxConcurrent(); n != 1 {
		t.Fatalf("%d evaluations ran at once, want 1", n)
	}
	if c := counts(t, sys, pid); c.RequestsLastMinute != 1 || c.RequestsToday != 1 || c.InFlight != 1 {
		t.Fatalf("counters after: %+v; only the allowed admission counts and holds a slot", c)
	}
}

// TestMaxWaitingOverflow: with MaxWaiting admissions queued behind the one being
// decided, the next is refused at once with ErrTextBusy; the queued ones are then
// decided normally, and once the queue drains admissions are taken again.
func TestMaxWaitingOverflow(t *testing.T) {
	obs := newGateObserver()
	sys, pid := newPolicyGrain(t, newClock(t0), obs, func(d *Deps) { d.MaxWaiting = 2 })
	var none abi.Key

	deciding := sys.Root.RequestFuture(pid, admission("a", none), 20*time.Second)
	obs.waitEntered(t)
	queued := []*actor.Future{
		sys.Root.RequestFuture(pid, admission("b", none), 20*time.Second),
		sys.Root.RequestFuture(pid, admission("c", none), 20*time.Second),
	}
	// Answered while the gate is still shut, so the refusal does not wait.
	over, err := sys.Root.RequestFuture(pid, admission("d", none), 5*time.Second).Result()
	if err != nil {
		t.Fatalf("the overflowing admission was not answered at once: %v", err)
	}
	if r := over.(*messages.AdmitReply); r.Allow || r.Error != ErrTextBusy {
		t.Fatalf("overflowing admission: %+v, want ErrTextBusy", r)
	}
	obs.open()
	for i, f := range append([]*actor.Future{deciding}, queued...) {
		if r := admitReply(t, f); !r.Allow || r.Error != "" {
			t.Fatalf("admission %d: %+v", i, r)
		}
	}
	// The refused ticket was neither counted nor held; once drained, the queue takes
	// admissions again (the refused ticket may retry).
	if c := counts(t, sys, pid); c.RequestsToday != 3 || c.InFlight != 3 {
		t.Fatalf("counters: %+v, want 3 requests and 3 in flight", c)
	}
	if r := admitReply(t, sys.Root.RequestFuture(pid, admission("d", none), 20*time.Second)); !r.Allow {
		t.Fatalf("retry after the queue drained: %+v", r)
	}
}

// TestHoldUntilSettle: an allowed admission holds an in-flight slot, which the
// policies see, until its ticket is settled; a retried admission of a held ticket
// gets the same answer without being counted again; a repeated settle is ignored.
func TestHoldUntilSettle(t *testing.T) {
	clk := newClock(t0)
	sys, pid := newPolicyGrain(t, clk, nil, nil)
	single := abi.Key{MaxConcurrentRequests: 1}
	admit := func(ticket string) *messages.AdmitReply {
		return admitReply(t, sys.Root.RequestFuture(pid, admission(ticket, single), 20*time.Second))
	}
	settle := func(ticket string, tokens int64) {
		ask(t, sys, pid, &messages.Settle{ApiKeyId: "k1", Ticket: ticket, Tokens: tokens, CostUsd: 0.5})
	}

	if r := admit("a"); !r.Allow {
		t.Fatalf("first: %+v", r)
	}
	if r := admit("a"); !r.Allow {
		t.Fatalf("retried ticket: %+v, want the same allow", r)
	}
	if c := counts(t, sys, pid); c.InFlight != 1 || c.RequestsToday != 1 {
		t.Fatalf("after a retried admission: %+v, want 1 request in flight", c)
	}
	clk.add(10 * time.Minute) // a long turn: the slot stays held
	if r := admit("b"); r.Allow || r.Code != abi.CodeConcurrencyLimit {
		t.Fatalf("second while the first is in flight: %+v, want concurrency_limit", r)
	}
	settle("a", 100)
	c := counts(t, sys, pid)
	if c.InFlight != 0 || c.TokensToday != 100 || c.CostToday != 0.5 {
		t.Fatalf("after settle: %+v", c)
	}
	settle("a", 100)
	if c := counts(t, sys, pid); c.TokensToday != 100 || c.CostToday != 0.5 || c.InFlight != 0 {
		t.Fatalf("after a repeated settle: %+v, want it ignored", c)
	}
	if r := admit("c"); !r.Allow {
		t.Fatalf("after the slot was freed: %+v", r)
	}
	if r := admit("a"); r.Allow || r.Error != ErrTextAbandoned {
		t.Fatalf("admission of a settled ticket: %+v, want ErrTextAbandoned", r)
	}
	if c := counts(t, sys, pid); c.InFlight != 1 || c.RequestsToday != 2 {
		t.Fatalf("final counters: %+v, want 2 requests, 1 in flight", c)
	}
}

// TestHoldExpiresAfterHoldTTL: an unsettled slot is kept until HoldTTL and dropped
// after it (here by a counter query, with no admission traffic); the late settle of
// that ticket still counts its usage.
func TestHoldExpiresAfterHoldTTL(t *testing.T) {
	clk := newClock(t0)
	sys, pid := newPolicyGrain(t, clk, nil, nil)
	single := abi.Key{MaxConcurrentRequests: 1}
	if r := admitReply(t, sys.Root.RequestFuture(pid, admission("lost", single), 20*time.Second)); !r.Allow {
		t.Fatalf("admission: %+v", r)
	}
	clk.add(59 * time.Minute)
	if c := counts(t, sys, pid); c.InFlight != 1 {
		t.Fatalf("in flight before HoldTTL: %d, want 1", c.InFlight)
	}
	if r := admitReply(t, sys.Root.RequestFuture(pid, admission("x", single), 20*time.Second)); r.Allow {
		t.Fatalf("admission before HoldTTL: %+v, want concurrency_limit", r)
	}
	clk.add(2 * time.Minute)
	if c := counts(t, sys, pid); c.InFlight != 0 {
		t.Fatalf("in flight after HoldTTL: %d, want 0", c.InFlight)
	}
	if r := admitReply(t, sys.Root.RequestFuture(pid, admission("y", single), 20*time.Second)); !r.Allow {
		t.Fatalf("admission after the hold expired: %+v", r)
	}
	ask(t, sys, pid, &messages.Settle{ApiKeyId: "k1", Ticket: "lost", Tokens: 7})
	if c := counts(t, sys, pid); c.TokensToday != 7 || c.InFlight != 1 {
		t.Fatalf("after the late settle: %+v, want 7 tokens, y still in flight", c)
	}
}

// TestReleasedTicketFreesItsSlot: the caller of an admission stops waiting (its
// request timed out) and releases the ticket, as actors.Admit does. Whether the
// release arrives after the admission was allowed, while it is being decided, or
// while it waits in the queue, the ticket ends up holding no slot and counting no
// request.
func TestReleasedTicketFreesItsSlot(t *testing.T) {
	release := func(sys *actor.ActorSystem, pid *actor.PID, ticket string) {
		sys.Root.Send(pid, &messages.Settle{ApiKeyId: "k1", Ticket: ticket})
	}
	var none abi.Key

	t.Run("after it was allowed", func(t *testing.T) {
		sys, pid := newPolicyGrain(t, newClock(t0), nil, nil)
		// The answer is lost to the caller (it gave up), but the grain allowed it.
		if r := admitReply(t, sys.Root.RequestFuture(pid, admission("a", none), 20*time.Second)); !r.Allow {
			t.Fatalf("admission: %+v", r)
		}
		if c := counts(t, sys, pid); c.InFlight != 1 {
			t.Fatalf("in flight before the release: %d", c.InFlight)
		}
		release(sys, pid, "a")
		if c := counts(t, sys, pid); c.InFlight != 0 {
			t.Fatalf("in flight after the release: %d, want 0", c.InFlight)
		}
	})

	t.Run("while it is decided", func(t *testing.T) {
		obs := newGateObserver()
		sys, pid := newPolicyGrain(t, newClock(t0), obs, nil)
		f := sys.Root.RequestFuture(pid, admission("a", none), 100*time.Millisecond)
		obs.waitEntered(t)
		if _, err := f.Result(); err == nil {
			t.Fatal("the caller's request did not time out")
		}
		release(sys, pid, "a")
		counts(t, sys, pid) // the release has been handled
		obs.open()
		// A later admission is decided after the released one, so its answer means
		// the released one's decision was handled.
		if r := admitReply(t, sys.Root.RequestFuture(pid, admission("b", none), 20*time.Second)); !r.Allow {
			t.Fatalf("next admission: %+v", r)
		}
		if c := counts(t, sys, pid); c.InFlight != 1 || c.RequestsToday != 1 {
			t.Fatalf("counters: %+v, want only the next admission counted and in flight", c)
		}
	})

	t.Run("while it waits", func(t *testing.T) {
		obs := newGateObserver()
		sys, pid := newPolicyGrain(t, newClock(t0), obs, nil)
		first := sys.Root.RequestFuture(pid, admission("a", none), 20*time.Second)
		obs.waitEntered(t)
		waiting := sys.Root.RequestFuture(pid, admission("b", none), 20*time.Second)
		release(sys, pid, "b")
		obs.open()
		if r := admitReply(t, first); !r.Allow {
			t.Fatalf("first: %+v", r)
		}
		if r := admitReply(t, waiting); r.Allow || r.Error != ErrTextAbandoned {
			t.Fatalf("released waiting admission: %+v, want ErrTextAbandoned", r)
		}
		obs.noneEntered(t, 100*time.Millisecond) // the released one was never evaluated
		if c := counts(t, sys, pid); c.InFlight != 1 || c.RequestsToday != 1 {
			t.Fatalf("counters: %+v, want only the first counted", c)
		}
	})
}
