package conversation

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/actors/messages"
)

func TestTurnsRunInArrivalOrderOnOneProcess(t *testing.T) {
	h := newHarness(t)
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	var streams []*stream
	for _, text := range []string{"one", "two", "three"} {
		ack, s := h.turn(pid, conv, text)
		if !ack.Accepted {
			t.Fatalf("%s not accepted: %+v", text, ack.Error)
		}
		streams = append(streams, s)
	}
	for i, s := range streams {
		h.l.gate <- struct{}{}
		end, queued := s.final(t)
		if _, ok := end.(*messages.TurnDone); !ok {
			t.Fatalf("turn %d: %+v", i, end)
		}
		// The first runs at once; the others wait at positions 1 and 2.
		want := []int32{}
		if i > 0 {
			want = []int32{int32(i)}
		}
		if !slices.Equal(queued, want) {
			t.Errorf("turn %d queued at %v, want %v", i, queued, want)
		}
	}
	if got := h.l.seen(); !slices.Equal(got, []string{"one", "two", "three"}) {
		t.Errorf("the process saw %v", got)
	}
	if n := len(h.l.specs()); n != 1 {
		t.Errorf("%d launches, want 1 (later turns reuse the live process)", n)
	}
}

func TestPendingTurnsAreBounded(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.MaxPending = 1 })
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	_, running := h.turn(pid, conv, "running")
	_, waiting := h.turn(pid, conv, "waiting")
	ack, _ := h.turn(pid, conv, "one too many")
	if ack.Accepted || ack.Error.GetKind() != KindBusy || ack.Error.GetRetryAfterMs() <= 0 {
		t.Fatalf("third turn: %+v, want %s with a retry time", ack, KindBusy)
	}
	h.l.gate <- struct{}{}
	h.l.gate <- struct{}{}
	running.done(t)
	waiting.done(t)
	// With the queue drained, a new turn is accepted again.
	ack, s := h.turn(pid, conv, "later")
	if !ack.Accepted {
		t.Fatalf("after the queue drained: %+v", ack.Error)
	}
	h.l.gate <- struct{}{}
	s.done(t)
}

func TestCancelQueuedTurnNeverReachesTheProcess(t *testing.T) {
	h := newHarness(t)
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	_, running := h.turn(pid, conv, "running")
	_, doomed := h.turn(pid, conv, "doomed")
	_, after := h.turn(pid, conv, "after")
	h.sys.Root.Send(pid, &messages.CancelTurn{RequestId: doomed.id})
	if e := doomed.failed(t); e.GetKind() != KindCanceled {
		t.Fatalf("canceled turn: %+v", e)
	}
	h.l.gate <- struct{}{}
	h.l.gate <- struct{}{}
	running.done(t)
	after.done(t)
	if got := h.l.seen(); !slices.Equal(got, []string{"running", "after"}) {
		t.Errorf("the process saw %v", got)
	}
}

func TestQueuedTurnKeepsItsOverallDeadline(t *testing.T) {
	h := newHarness(t)
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	_, running := h.turn(pid, conv, "slow")
	_, late := h.turn(pid, conv, "late", func(r *messages.TurnRequest) {
		r.DeadlineUnixMs = time.Now().Add(200 * time.Millisecond).UnixMilli()
	})
	time.Sleep(400 * time.Millisecond) // the deadline passes while it waits
	h.l.gate <- struct{}{}
	running.done(t)
	if e := late.failed(t); e.GetKind() != "deadline" {
		t.Fatalf("late turn: %+v, want deadline", e)
	}
	if got := h.l.seen(); !slices.Equal(got, []string{"slow"}) {
		t.Errorf("the process saw %v", got)
	}
}

// TestPassivationWaitsForTheRunningTurn: the idle timer fires several times during
// a long turn and is re-armed each time; once idle, the grain passivates, ending
// its process and releasing its lease.
func TestPassivationWaitsForTheRunningTurn(t *testing.T) {
	h := newHarness(t, func(d *Deps) { d.IdleTTL = 100 * time.Millisecond })
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	gone := h.watch(pid)
	_, s := h.turn(pid, conv, "long")
	select {
	case <-gone:
		t.Fatal("the grain passivated during a running turn")
	case <-time.After(500 * time.Millisecond):
	}
	if !h.deps.Leases.Held(conv) {
		t.Fatal("no lease held during the turn")
	}
	h.l.gate <- struct{}{}
	s.done(t)
	select {
	case <-gone:
	case <-time.After(3 * time.Second):
		t.Fatal("the idle grain did not passivate")
	}
	eventually(t, "process ended", func() bool { return h.l.live() == 0 })
	if h.deps.Leases.Held(conv) {
		t.Error("lease still held after passivation")
	}
	if _, err := h.st.AcquireLease(t.Context(), conv, "node-b", time.Minute); err != nil {
		t.Errorf("another node cannot take the released lease: %v", err)
	}
}

// TestRetriedRequestRunsOnce: a turn request that reaches the grain again (its
// caller abandoned a try that had arrived after all, and sent it again) is
// acknowledged without running the turn a second time, whether the turn still
// waits, runs or has ended; an ended one sends its final event again.
func TestRetriedRequestRunsOnce(t *testing.T) {
	h := newHarness(t)
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	_, running := h.turn(pid, conv, "running")
	_, waiting := h.turn(pid, conv, "waiting")
	for _, s := range []*stream{running, waiting} {
		if ack := h.resend(pid, s); !ack.Accepted {
			t.Fatalf("%s sent again: %+v, want accepted", s.req.Message, ack.Error)
		}
	}
	h.l.gate <- struct{}{}
	if got := running.done(t); got != "echo: running" {
		t.Fatalf("running: %q", got)
	}
	h.l.gate <- struct{}{}
	if got := waiting.done(t); got != "echo: waiting" {
		t.Fatalf("waiting: %q", got)
	}
	// Ended: the same request is acknowledged and its result sent again.
	if ack := h.resend(pid, running); !ack.Accepted {
		t.Fatalf("an ended turn sent again: %+v, want accepted", ack.Error)
	}
	if got := running.done(t); got != "echo: running" {
		t.Fatalf("the ended turn's result sent again: %q", got)
	}
	// A new request still runs.
	_, next := h.turn(pid, conv, "next")
	h.l.gate <- struct{}{}
	next.done(t)
	if got := h.l.seen(); !slices.Equal(got, []string{"running", "waiting", "next"}) {
		t.Fatalf("the process ran %q: each turn once", got)
	}
	ms, err := h.st.ListMessages(context.Background(), conv)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 6 {
		t.Fatalf("%d stored messages, want 6 (three turns)", len(ms))
	}
	select {
	case m := <-waiting.ch:
		t.Fatalf("the waiting turn's receiver got %T after its final event", m)
	default:
	}
}

// TestGrainSettlesEachAcceptedTurnOnce: every turn the grain accepted with a
// ticket is settled once when it ends, with what it spent: run to the end,
// canceled while queued, or sent twice. A refused turn and one without a
// ticket are not the grain's to settle.
func TestGrainSettlesEachAcceptedTurnOnce(t *testing.T) {
	type settle struct {
		tokens int64
		cost   float64
	}
	var mu sync.Mutex
	got := map[string][]settle{}
	h := newHarness(t, func(d *Deps) {
		d.MaxPending = 2
		d.SettleSlot = func(key, ticket string, spent *messages.TurnUsage, cost float64) {
			mu.Lock()
			defer mu.Unlock()
			got[ticket] = append(got[ticket], settle{spent.GetOutputTokens(), cost})
		}
	})
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	ticket := func(id string) func(*messages.TurnRequest) {
		return func(r *messages.TurnRequest) { r.Ticket = id }
	}
	_, running := h.turn(pid, conv, "running", ticket("t-run"))
	_, doomed := h.turn(pid, conv, "doomed", ticket("t-cancel"))
	_, again := h.turn(pid, conv, "again", ticket("t-again"))
	if ack, _ := h.turn(pid, conv, "refused", ticket("t-refused")); ack.Accepted {
		t.Fatal("a turn past the pending bound was accepted")
	}
	if ack := h.resend(pid, again); !ack.Accepted {
		t.Fatalf("the repeated request: %+v", ack.Error)
	}
	h.sys.Root.Send(pid, &messages.CancelTurn{RequestId: doomed.id})
	doomed.failed(t)
	h.l.gate <- struct{}{}
	running.done(t)
	h.l.gate <- struct{}{}
	again.done(t)
	_, free := h.turn(pid, conv, "no ticket")
	h.l.gate <- struct{}{}
	free.done(t)
	mu.Lock()
	defer mu.Unlock()
	want := map[string][]settle{"t-run": {{1, 0}}, "t-cancel": {{0, 0}}, "t-again": {{1, 0}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("settles %v, want %v", got, want)
	}
}
