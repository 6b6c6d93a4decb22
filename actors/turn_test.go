package actors

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ccgateway/ccgateway/internal/store"
)

type recorded struct {
	mu  sync.Mutex
	evs []store.UsageEvent
}

func (r *recorded) Record(ev *store.UsageEvent) {
	r.mu.Lock()
	r.evs = append(r.evs, *ev)
	r.mu.Unlock()
}

func (r *recorded) all() []store.UsageEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]store.UsageEvent(nil), r.evs...)
}

var errInterrupted = errors.New("turn aborted")

func classifyForTest(err error) (int, string) {
	if errors.Is(err, errInterrupted) {
		return 502, "cli_interrupted"
	}
	return 499, "client_closed"
}

// TestTurnFinishesOnce: whichever way the transport treats the stream (reads it
// to the end, leaves before the end, or the stream closes without a final event),
// the pipeline records the request exactly once, with what the turn spent.
func TestTurnFinishesOnce(t *testing.T) {
	failed := Failed{Err: errInterrupted,
		Usage:   Usage{InputTokens: 10, OutputTokens: 20, CacheReadInputTokens: 3, CacheCreationInputTokens: 4},
		CostUSD: 0.05}
	done := Done{Result: Result{ConversationID: "conv-2", Usage: Usage{InputTokens: 1, OutputTokens: 2}, CostUSD: 0.01}}
	tests := []struct {
		name       string
		events     []Event
		leaveAfter int // events the transport reads before it releases (-1: all)
		wantStatus int
		wantTokens int64
		wantCost   float64
		wantConv   string
	}{
		{"failed, read to the end", []Event{Started{ConversationID: "conv-1"}, Delta{Text: "a"}, failed}, -1, 502, 37, 0.05, "conv-1"},
		{"failed, caller left", []Event{Started{ConversationID: "conv-1"}, Delta{Text: "a"}, failed}, 1, 502, 37, 0.05, "conv-1"},
		{"done, read to the end", []Event{Started{ConversationID: "conv-1"}, Delta{Text: "a"}, done}, -1, 200, 3, 0.01, "conv-2"},
		{"done, caller left at once", []Event{Started{ConversationID: "conv-1"}, done}, 0, 200, 3, 0.01, "conv-2"},
		{"no final event", []Event{Started{ConversationID: "conv-1"}}, -1, 499, 0, 0, "conv-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := &recorded{}
			s := &System{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			turn := s.BeginTurn(store.UsageEvent{APIKeyID: "k", RequestID: "r"}, TurnOptions{Usage: rec, Classify: classifyForTest})
			in := make(chan Event, len(tt.events))
			for _, ev := range tt.events {
				in <- ev
			}
			close(in)
			out := make(chan Event, receiverBuffer)
			finished := make(chan struct{})
			go func() { turn.follow(in, out); close(finished) }()
			n := 0
			for ev := range out {
				if n == tt.leaveAfter {
					break
				}
				n++
				_ = ev
			}
			turn.Release()
			<-finished
			turn.Refuse(500, errors.New("late")) // a second finish does nothing
			evs := rec.all()
			if len(evs) != 1 {
				t.Fatalf("%d usage events, want 1", len(evs))
			}
			ev := evs[0]
			if ev.StatusCode != tt.wantStatus || ev.TotalTokens != tt.wantTokens || ev.CostUSD != tt.wantCost || ev.ConversationID != tt.wantConv {
				t.Errorf("record: status %d tokens %d cost %v conversation %q; want %d %d %v %q",
					ev.StatusCode, ev.TotalTokens, ev.CostUSD, ev.ConversationID, tt.wantStatus, tt.wantTokens, tt.wantCost, tt.wantConv)
			}
			if tt.wantStatus >= 400 && ev.Error == "" {
				t.Errorf("a failed request is recorded without its code")
			}
			if ev.APIKeyID != "k" || ev.RequestID != "r" || ev.Timestamp.IsZero() {
				t.Errorf("the request's identity is lost: %+v", ev)
			}
		})
	}
}
