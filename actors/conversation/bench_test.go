package conversation

import (
	"bytes"
	"context"
	"testing"

	"github.com/ccgateway/ccgateway/internal/store"
)

// BenchmarkNextTurnLive measures the grain's own cost of a turn on a live process
// (fake CLI, real SQLite): the store round trips around the turn. The transcript
// is padded to 1 MiB, as a long conversation's is.
func BenchmarkNextTurnLive(b *testing.B) {
	h := newHarness(b)
	conv, pid := h.grain()
	big := bytes.Repeat([]byte("x"), 1<<20)
	if err := h.st.PutTranscript(context.Background(), &store.Transcript{ConversationID: conv, SessionID: "s", Data: big}); err != nil {
		b.Fatal(err)
	}
	_, s := h.turn(pid, conv, "first") // spawns with --resume
	s.done(b)
	for b.Loop() {
		_, s := h.turn(pid, conv, "again")
		s.done(b)
	}
	if n := len(h.l.specs()); n != 1 {
		b.Fatalf("%d launches, want 1", n)
	}
}
