package conversation

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/store"
)

// failedMsg waits for the turn's end and fails the test unless it is a TurnFailed.
func failedMsg(t *testing.T, s *stream) *messages.TurnFailed {
	t.Helper()
	end, _ := s.final(t)
	f, ok := end.(*messages.TurnFailed)
	if !ok {
		t.Fatalf("turn %s: %+v, want failed", s.id, end)
	}
	return f
}

func TestFailedTurnsReportWhatTheySpent(t *testing.T) {
	tests := []struct {
		name      string
		arrange   func(h *harness)
		wantOut   int64
		wantCost  float64
		wantStore bool // the messages are stored
	}{
		{"the CLI fails after using tokens", func(h *harness) {
			h.l.fail = &TurnEvent{Err: errors.New("upstream broke"), Usage: &messages.TurnUsage{InputTokens: 5, OutputTokens: 7}, CostUSD: 0.25}
		}, 7, 0.25, false},
		{"storing the turn fails", func(h *harness) {
			h.st.commitErr = errors.New("disk full")
		}, 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			conv, pid := h.grain()
			tt.arrange(h)
			_, s := h.turn(pid, conv, "hi")
			f := failedMsg(t, s)
			if f.GetUsage().GetOutputTokens() != tt.wantOut || f.GetCostUsd() != tt.wantCost {
				t.Fatalf("failed turn reported usage %+v cost %v, want %d output tokens and %v", f.GetUsage(), f.GetCostUsd(), tt.wantOut, tt.wantCost)
			}
			if msgs, _ := h.st.ListMessages(t.Context(), conv); len(msgs) != 0 {
				t.Errorf("%d messages stored", len(msgs))
			}
			if _, err := h.st.GetTranscript(t.Context(), conv); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("transcript stored without its messages: %v", err)
			}
		})
	}
}

// TestFailedFirstTurnDiscardsItsConversation: a conversation created for a turn
// that failed with nothing stored is deleted before the caller hears of the
// failure; one created on its own (or with turns stored) stays.
func TestFailedFirstTurnDiscardsItsConversation(t *testing.T) {
	h := newHarness(t)
	h.l.fail = &TurnEvent{Err: errors.New("upstream 401")}
	created := func(r *messages.TurnRequest) { r.Created = true }

	conv, pid := h.grain()
	gone := h.watch(pid)
	_, s := h.turn(pid, conv, "hi", created)
	s.failed(t)
	if _, err := h.st.GetConversation(t.Context(), h.keyID, conv); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the failed new conversation is still stored: %v", err)
	}
	select {
	case <-gone:
	case <-time.After(3 * time.Second):
		t.Fatal("the grain of the discarded conversation did not stop")
	}

	kept, pid := h.grain()
	_, s = h.turn(pid, kept, "hi")
	s.failed(t)
	if _, err := h.st.GetConversation(t.Context(), h.keyID, kept); err != nil {
		t.Fatalf("a conversation not created for the turn was deleted: %v", err)
	}
}

// TestLiveTurnDoesNotReadTheTranscript: the next turn on a live process needs no
// transcript; only a spawn does.
func TestLiveTurnDoesNotReadTheTranscript(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	for _, text := range []string{"one", "two", "three"} {
		_, s := h.turn(pid, conv, text)
		s.done(t)
	}
	if n := h.st.transcriptReads(); n != 1 {
		t.Errorf("%d transcript reads for three turns on one process, want 1 (at the spawn)", n)
	}
}

// TestLiveTurnDoesNotReadTheConversation: the grain keeps the row it read or
// wrote while it holds the lease, so only its first turn reads it (before and
// again after acquiring the new lease); a setting a turn changed holds for the
// next one (which then runs on the same process).
func TestLiveTurnDoesNotReadTheConversation(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	turns := []struct {
		text, model string
		spawns      int
	}{{"one", "", 1}, {"two", "m2", 2}, {"three", "", 2}}
	for _, tc := range turns {
		_, s := h.turn(pid, conv, tc.text, func(r *messages.TurnRequest) { r.Spec = &messages.Spec{Model: tc.model} })
		s.done(t)
		if specs := h.l.specs(); len(specs) != tc.spawns {
			t.Fatalf("after %s: %d launches, want %d", tc.text, len(specs), tc.spawns)
		}
	}
	if m := h.l.specs()[1].Sig.Model; m != "m2" {
		t.Errorf("second process runs %q, want the turn's m2", m)
	}
	if n := h.st.conversationReads(); n != 2 {
		t.Errorf("%d conversation reads for three turns under one lease, want 2 (the first turn's)", n)
	}
	c, err := h.st.GetConversation(t.Context(), h.keyID, conv)
	if err != nil || c.Model != "m2" {
		t.Fatalf("stored row %+v, %v: want model m2", c, err)
	}
}

// TestProcessDeadBetweenTurnsIsRespawned: a process that died while idle is
// replaced with --resume before the next turn, which succeeds.
func TestProcessDeadBetweenTurnsIsRespawned(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "one")
	s.done(t)
	h.l.proc(0).die()
	_, s = h.turn(pid, conv, "two")
	if got := s.done(t); got != "echo: two" {
		t.Fatalf("answer %q", got)
	}
	specs := h.l.specs()
	if len(specs) != 2 || !specs[1].Resume || string(specs[1].Transcript) != "one\n" {
		t.Fatalf("launches %+v, want a second one resuming the stored transcript", specs)
	}
	if !h.l.closed(0) {
		t.Error("the dead process was not closed")
	}
}

// TestDeleteDuringTurnTellsItsCallerNotFound: the running turn of a deleted
// conversation ends with not_found, not canceled.
func TestDeleteDuringTurnTellsItsCallerNotFound(t *testing.T) {
	h := newHarness(t)
	h.l.gate = make(chan struct{})
	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "long")
	eventually(t, "turn running", func() bool { return len(h.l.seen()) == 1 })
	res, err := h.sys.Root.RequestFuture(pid, &messages.StopConversation{ApiKeyId: h.keyID}, 5*time.Second).Result()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := res.(*messages.StopConversationAck); !ok {
		t.Fatalf("stop answered %T", res)
	}
	if e := s.failed(t); e.GetKind() != KindNotFound {
		t.Fatalf("the running turn ended with %+v, want %s", e, KindNotFound)
	}
}

// TestSpareSlotFreedWhenAdoptionFails: a turn that took a prewarmed spare but got
// no slot (queue timeout) ends the spare and frees its scheduler slot.
func TestSpareSlotFreedWhenAdoptionFails(t *testing.T) {
	var sched *scheduler.Scheduler
	spares := &fakeSpares{id: "spare-" + uuid.NewString()}
	h := newHarness(t, func(d *Deps) {
		var err error
		sched, err = scheduler.New(scheduler.Config{MaxProcesses: 2, MaxBusy: 1, MaxQueue: 10, QueueTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		d.Sched, d.Spares = sched, spares
	})
	t.Cleanup(func() { sched.Close(context.Background()) })
	h.l.gate = make(chan struct{})
	busy, bpid := h.grain()
	_, running := h.turn(bpid, busy, "holds the only busy slot")
	eventually(t, "turn running", func() bool { return len(h.l.seen()) == 1 })

	spares.attach(t, h, sched)

	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "waits too long")
	s.failed(t)
	for _, sl := range sched.Snapshot().Slots {
		if sl.ID == spares.id {
			t.Fatalf("the spare's slot is still booked: %+v", sl)
		}
	}
	if !h.l.closed(1) {
		t.Error("the taken spare was not ended")
	}
	if n := spares.refilled(); n != 1 {
		t.Errorf("%d refills asked for after the spare was used up, want 1", n)
	}
	h.l.gate <- struct{}{}
	running.done(t)
}

// TestSpareRefilledAfterItsFirstTurn: a new conversation that takes a spare runs
// its first turn on it and asks for a replacement only once that turn is over.
func TestSpareRefilledAfterItsFirstTurn(t *testing.T) {
	var sched *scheduler.Scheduler
	spares := &fakeSpares{id: "spare-" + uuid.NewString()}
	h := newHarness(t, func(d *Deps) {
		var err error
		sched, err = scheduler.New(scheduler.Config{MaxProcesses: 2, MaxBusy: 2, MaxQueue: 10, QueueTimeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		d.Sched, d.Spares = sched, spares
	})
	t.Cleanup(func() { sched.Close(context.Background()) })
	spares.attach(t, h, sched)
	h.l.gate = make(chan struct{})

	conv, pid := h.grain()
	_, s := h.turn(pid, conv, "first turn on the spare")
	eventually(t, "turn running", func() bool { return len(h.l.seen()) == 1 })
	if n := spares.refilled(); n != 0 {
		t.Fatalf("a refill was asked for while the spare's first turn ran (%d)", n)
	}
	h.l.gate <- struct{}{}
	s.done(t)
	eventually(t, "a refill after the turn", func() bool { return spares.refilled() == 1 })
	if got := len(h.l.specs()); got != 1 {
		t.Errorf("%d processes launched, want only the spare", got)
	}
}

// attach launches a process on h's launcher and books it in sched as f's spare.
func (f *fakeSpares) attach(t *testing.T, h *harness, sched *scheduler.Scheduler) {
	t.Helper()
	proc, err := h.l.Launch(t.Context(), LaunchSpec{SessionID: uuid.NewString()})
	if err != nil {
		t.Fatal(err)
	}
	if !sched.ReserveSpare(f.id) {
		t.Fatal("no slot for the spare")
	}
	sched.AttachSpare(f.id, proc.Pid(), time.Now(), func() { _ = proc.Close() })
	f.mu.Lock()
	f.proc = proc
	f.mu.Unlock()
}
