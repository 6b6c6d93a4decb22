package tenant

import (
	"strconv"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// TestAdmissionBurstOnOneKey: 1,000 admissions of one key arrive at once at a
// grain whose counter rebuild fails twice (the store is busy with the burst). None
// is refused for the failed rebuilds: they wait through the retries. A key with
// no limit of its own gets the default cap: the admissions beyond it are refused
// with concurrency_limit and a Retry-After, and the cap frees as turns settle. A
// key's own limit takes the place of the default (the rate-limit policy applies
// it).
func TestAdmissionBurstOnOneKey(t *testing.T) {
	const burst = 1000
	tests := []struct {
		name       string
		defaultCap int
		key        abi.Key
		allowed    int
		denier     string // the Policy of the concurrency_limit denials
	}{
		{"no default cap", 0, abi.Key{}, burst, ""},
		{"default cap", 20, abi.Key{}, 20, DefaultCapPolicy},
		{"the key's own limit", 20, abi.Key{MaxConcurrentRequests: 50}, 50, policies.RateLimit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st *flakyStore
			sys, pid := newPolicyGrain(t, newClock(time.Now()), nil, func(d *Deps) {
				st = &flakyStore{Store: d.Store, fails: 2}
				d.Store, d.DefaultConcurrency = st, tt.defaultCap
			})
			deadline := time.Now().Add(time.Minute).UnixMilli()
			futures := make([]*actor.Future, burst)
			for i := range futures {
				req := admission(ticketName(i), tt.key)
				req.DeadlineUnixMs = deadline
				futures[i] = sys.Root.RequestFuture(pid, req, time.Minute)
			}
			var allowed []string
			denied := 0
			for i, f := range futures {
				r := admitReply(t, f)
				switch {
				case r.Allow:
					allowed = append(allowed, ticketName(i))
				case r.Code == abi.CodeConcurrencyLimit && r.RetryAfterS >= 1 && r.Policy == tt.denier:
					denied++
				default:
					t.Fatalf("admission %d: %+v; want allowed or a concurrency_limit from %q", i, r, tt.denier)
				}
			}
			if len(allowed) != tt.allowed || denied != burst-tt.allowed {
				t.Fatalf("%d allowed, %d denied; want %d allowed, the rest denied", len(allowed), denied, tt.allowed)
			}
			if n := st.calls.Load(); n != 3 {
				t.Fatalf("%d rebuild reads, want 3 (two failures, then one that succeeded)", n)
			}
			if c := counts(t, sys, pid); c.InFlight != int64(tt.allowed) || c.RequestsToday != int64(tt.allowed) {
				t.Fatalf("counters %+v; want %d in flight and counted", c, tt.allowed)
			}
			if tt.allowed == burst {
				return
			}
			// Five turns end: five more get in, the sixth is refused again.
			for _, ticket := range allowed[:5] {
				ask(t, sys, pid, &messages.Settle{ApiKeyId: "k1", Ticket: ticket})
			}
			for i := range 6 {
				r := admitReply(t, sys.Root.RequestFuture(pid, admission(ticketName(burst+i), tt.key), 20*time.Second))
				if want := i < 5; r.Allow != want || (!want && r.Code != abi.CodeConcurrencyLimit) {
					t.Fatalf("admission %d after five settles: %+v, want allow=%v", i, r, want)
				}
			}
		})
	}
}

// TestDefaultCapSpares: the default cap leaves dry runs alone (they hold no slot)
// and counts admissions waiting to be decided, not only those holding a slot.
func TestDefaultCapSpares(t *testing.T) {
	obs := newGateObserver()
	sys, pid := newPolicyGrain(t, newClock(t0), obs, func(d *Deps) { d.DefaultConcurrency = 2 })
	var none abi.Key
	deciding := sys.Root.RequestFuture(pid, admission("a", none), 20*time.Second)
	obs.waitEntered(t)
	waiting := sys.Root.RequestFuture(pid, admission("b", none), 20*time.Second)
	// Nothing holds a slot yet, but two admissions are under way: the third is
	// refused at once, while the gate is still shut.
	r := admitReply(t, sys.Root.RequestFuture(pid, admission("c", none), 5*time.Second))
	if r.Allow || r.Code != abi.CodeConcurrencyLimit || r.Policy != DefaultCapPolicy {
		t.Fatalf("third admission: %+v, want the default cap's concurrency_limit", r)
	}
	dry := admission("d", none)
	dry.DryRun = true
	dryRun := sys.Root.RequestFuture(pid, dry, 20*time.Second)
	obs.open()
	for i, f := range []*actor.Future{deciding, waiting, dryRun} {
		if r := admitReply(t, f); !r.Allow {
			t.Fatalf("admission %d: %+v, want allowed", i, r)
		}
	}
	if c := counts(t, sys, pid); c.InFlight != 2 {
		t.Fatalf("in flight %d, want 2 (the dry run holds none)", c.InFlight)
	}
}

func ticketName(i int) string { return "t" + strconv.Itoa(i) }
