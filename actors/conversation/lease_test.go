package conversation

import (
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

func TestTurnRefusedWhileAnotherNodeHoldsTheLease(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	other, err := h.st.AcquireLease(t.Context(), conv, "node-b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, s := h.turn(pid, conv, "mine?")
	e := s.failed(t)
	if e.GetKind() != KindOwnedElsewhere || e.GetRetryAfterMs() != (30*time.Second).Milliseconds() {
		t.Fatalf("turn under another's lease: %+v", e)
	}
	if n := len(h.l.specs()); n != 0 {
		t.Fatalf("%d CLI launches without the lease", n)
	}
	if err := h.st.ReleaseLease(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	_, s = h.turn(pid, conv, "now mine")
	if got := s.done(t); got != "echo: now mine" {
		t.Fatalf("after release: %q", got)
	}
}

// TestLostLeaseEndsTheProcess: a renewal that finds the lease taken over ends the
// idle process at once; the next turn takes a new lease and resumes from the
// store's transcript instead of reusing the process.
func TestLostLeaseEndsTheProcess(t *testing.T) {
	h := newHarness(t, func(d *Deps) {
		d.Leases = NewLeases(d.Store, LeaseConfig{Owner: "node-a", TTL: time.Second, Renew: 50 * time.Millisecond}, d.Log)
	})
	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "first")
	s.done(t)
	if h.l.live() != 1 {
		t.Fatal("no live process after the first turn")
	}
	h.st.failRenewals(store.ErrLeaseHeld)
	eventually(t, "process ended after the lease was lost", func() bool { return h.l.live() == 0 })
	if h.deps.Leases.Held(conv) {
		t.Fatal("a lost lease is still in the table")
	}
	h.st.failRenewals(nil)
	// The node that held the lease meanwhile changed the model: the row the grain
	// kept is stale, and the new lease makes it read the stored one.
	h.setModel(conv, "changed-elsewhere")
	reads := h.st.conversationReads()
	_, s = h.turn(pid, conv, "second")
	s.done(t)
	specs := h.l.specs()
	if len(specs) != 2 || !specs[1].Resume || string(specs[1].Transcript) != "first\n" {
		t.Fatalf("second launch %+v, want a resume from the stored transcript", specs[len(specs)-1])
	}
	if m := specs[1].Sig.Model; m != "changed-elsewhere" {
		t.Errorf("the turn under a new lease runs model %q, want the stored changed-elsewhere", m)
	}
	if n := h.st.conversationReads() - reads; n != 2 {
		t.Errorf("%d conversation reads for the turn under a new lease, want 2 (before and after acquiring it)", n)
	}
}

// TestHandoverRereadsTheConversation: a turn that waits for another owner to let
// the lease go runs with the row as that owner left it, and keeps it: the row it
// read before the wait is stale.
func TestHandoverRereadsTheConversation(t *testing.T) {
	h := newHarness(t, func(d *Deps) {
		d.Leases = NewLeases(d.Store, LeaseConfig{Owner: "node-a", TTL: 30 * time.Second, Renew: 10 * time.Second, Wait: 10 * time.Second, Verify: true}, d.Log)
	})
	conv, pid := h.grain()
	other, err := h.st.AcquireLease(t.Context(), conv, "node-b", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	_, s := h.turn(pid, conv, "first")
	// node-b's last turn changes the model, then node-b lets the lease go.
	eventually(t, "the turn read the row and waits for the lease", func() bool { return h.st.conversationReads() > 0 })
	h.setModel(conv, "m-new")
	if err := h.st.ReleaseLease(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	s.done(t)
	_, s = h.turn(pid, conv, "second")
	s.done(t)
	specs := h.l.specs()
	if len(specs) != 1 || specs[0].Sig.Model != "m-new" {
		t.Fatalf("launches %+v, want one process running m-new", specs)
	}
	if c, err := h.st.GetConversation(t.Context(), h.keyID, conv); err != nil || c.Model != "m-new" {
		t.Fatalf("stored row %+v %v, want model m-new kept", c, err)
	}
}

// TestRenewalOutageStopsBeforeTheLeaseLapses: when the store keeps failing, the
// lease counts as lost before it could lapse (and be taken by another node).
func TestRenewalOutageStopsBeforeTheLeaseLapses(t *testing.T) {
	h := newHarness(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ls := NewLeases(h.st, LeaseConfig{Owner: "node-a", TTL: 300 * time.Millisecond, Renew: 100 * time.Millisecond}, log)
	t.Cleanup(ls.Close)
	conv, _ := h.grain()
	lost := make(chan time.Time, 1)
	start := time.Now()
	if fresh, err := ls.Acquire(t.Context(), conv, func() { lost <- time.Now() }); err != nil || !fresh {
		t.Fatalf("acquire: fresh=%v err=%v", fresh, err)
	}
	if fresh, err := ls.Acquire(t.Context(), conv, nil); err != nil || fresh {
		t.Fatalf("second acquire while held: fresh=%v err=%v, want a no-op", fresh, err)
	}
	h.st.failRenewals(errors.New("store unreachable"))
	select {
	case at := <-lost:
		if at.Sub(start) >= 300*time.Millisecond {
			t.Fatalf("lost after %v, at or past the TTL", at.Sub(start))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("an unrenewable lease was never given up")
	}
}

func TestLeasesCloseReleasesEverything(t *testing.T) {
	h := newHarness(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ls := NewLeases(h.st, LeaseConfig{Owner: "node-a", TTL: time.Minute, Renew: 10 * time.Second}, log)
	var convs []string
	for range 3 {
		conv, _ := h.grain()
		if _, err := ls.Acquire(t.Context(), conv, func() {}); err != nil {
			t.Fatal(err)
		}
		convs = append(convs, conv)
	}
	ls.Close()
	for _, conv := range convs {
		if _, err := h.st.AcquireLease(t.Context(), conv, "node-b", time.Minute); err != nil {
			t.Errorf("lease of %s not released at close: %v", conv, err)
		}
	}
	if _, err := ls.Acquire(t.Context(), convs[0], func() {}); !errors.Is(err, ErrOwnedElsewhere) {
		t.Errorf("acquire after close: %v", err)
	}
}

// BenchmarkLeaseAcquireRenew measures the store round trips that fencing adds
// (SQLite): one acquisition per activation, one renewal per interval.
func BenchmarkLeaseAcquireRenew(b *testing.B) {
	h := newBenchStore(b)
	b.Run("acquire", func(b *testing.B) {
		for b.Loop() {
			if _, err := h.AcquireLease(b.Context(), "bench", "node-a", time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	l, err := h.AcquireLease(b.Context(), "bench", "node-a", time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("renew", func(b *testing.B) {
		for b.Loop() {
			if err := h.RenewLease(b.Context(), l, time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func newBenchStore(b *testing.B) store.Store {
	st, err := store.Open(b.Context(), "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = st.Close() })
	return st
}

// TestFencedCommitStoresNothing: a node that still believes it holds the lease
// (its renewer has not noticed yet) cannot store a turn once another node took
// the lease over: the commit is fenced, the turn fails as owned elsewhere, and
// its process ends.
func TestFencedCommitStoresNothing(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "first")
	s.done(t)
	mine, ok := h.deps.Leases.Fence(conv)
	if !ok {
		t.Fatal("no lease after a turn")
	}
	if err := h.st.ReleaseLease(t.Context(), &mine); err != nil { // as if it lapsed
		t.Fatal(err)
	}
	if _, err := h.st.AcquireLease(t.Context(), conv, "node-b", time.Minute); err != nil {
		t.Fatal(err)
	}
	_, s = h.turn(pid, conv, "second")
	if e := s.failed(t); e.GetKind() != KindOwnedElsewhere {
		t.Fatalf("fenced turn: %+v", e)
	}
	msgs, err := h.st.ListMessages(t.Context(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 {
		t.Fatalf("%d messages stored, want only the first turn's 2", len(msgs))
	}
	eventually(t, "process ended after the fenced commit", func() bool { return h.l.live() == 0 })
	if h.deps.Leases.Held(conv) {
		t.Fatal("a fenced-off lease is still in the table")
	}
}
