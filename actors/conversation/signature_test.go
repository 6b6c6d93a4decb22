package conversation

import (
	"slices"
	"testing"

	"github.com/ccgateway/ccgateway/actors/messages"
)

func TestSignatureStopSequences(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stops []string
	}{
		{"none", nil},
		{"one", []string{"END"}},
		{"commas, quotes and newlines", []string{"a,b", `"q"`, "\n\nUser:"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := SignatureOf("m", "", 0, nil, nil, tc.stops)
			if got := s.StopList(); !slices.Equal(got, tc.stops) {
				t.Errorf("StopList() = %q, want %q", got, tc.stops)
			}
		})
	}
	// Lists that would join to the same string must stay different signatures.
	if SignatureOf("m", "", 0, nil, nil, []string{"a,b"}) == SignatureOf("m", "", 0, nil, nil, []string{"a", "b"}) {
		t.Error(`["a,b"] and ["a","b"] give the same signature`)
	}
}

// TestStopSequencesRespawnWithResume checks that stop sequences are per turn: the
// same ones reuse the process, other ones (or none) respawn it with --resume.
func TestStopSequencesRespawnWithResume(t *testing.T) {
	h := newHarness(t)
	conv, pid := h.grain()
	turns := []struct {
		text   string
		stops  []string
		spawns int // launches so far after this turn
	}{
		{"one", []string{"END"}, 1},
		{"two", []string{"END"}, 1},
		{"three", []string{"HALT"}, 2},
		{"four", nil, 3},
	}
	for _, tc := range turns {
		ack, s := h.turn(pid, conv, tc.text, func(r *messages.TurnRequest) {
			r.Spec = &messages.Spec{StopSequences: tc.stops}
		})
		if !ack.Accepted {
			t.Fatalf("%s not accepted: %+v", tc.text, ack.Error)
		}
		s.done(t)
		specs := h.l.specs()
		if len(specs) != tc.spawns {
			t.Fatalf("after %s: %d launches, want %d", tc.text, len(specs), tc.spawns)
		}
		last := specs[len(specs)-1]
		if got := last.Sig.StopList(); !slices.Equal(got, tc.stops) {
			t.Errorf("after %s: process runs with stop sequences %q, want %q", tc.text, got, tc.stops)
		}
		if len(specs) > 1 && !last.Resume {
			t.Errorf("after %s: the respawn did not resume the session", tc.text)
		}
	}
}
