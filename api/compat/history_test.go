package compat

import (
	"strings"
	"testing"
)

func msgs(pairs ...string) []Message {
	var out []Message
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, Message{Role: pairs[i], Text: pairs[i+1]})
	}
	return out
}

func TestNormalize(t *testing.T) {
	got := Normalize(msgs("user", " a\r\nb ", "user", "c", "assistant", "", "assistant", "d"))
	want := msgs("user", "a\nb\n\nc", "assistant", "d")
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestHistoryHash(t *testing.T) {
	base := HistoryHash("sys", msgs("user", "a", "assistant", "b"))
	tests := []struct {
		name   string
		hash   string
		sameAs bool
	}{
		{"same", HistoryHash("sys", msgs("user", "a", "assistant", "b")), true},
		{"white space", HistoryHash(" sys\n", msgs("user", "a \r\n", "assistant", "b")), true},
		{"system changed", HistoryHash("other", msgs("user", "a", "assistant", "b")), false},
		{"text moved across the boundary", HistoryHash("sys", msgs("user", "ab", "assistant", "")), false},
		{"role changed", HistoryHash("sys", msgs("assistant", "a", "assistant", "b")), false},
		{"longer", HistoryHash("sys", msgs("user", "a", "assistant", "b", "user", "c")), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if (tt.hash == base) != tt.sameAs {
				t.Errorf("hash equal = %v, want %v", tt.hash == base, tt.sameAs)
			}
		})
	}
}

func TestMatchStored(t *testing.T) {
	prior := msgs("user", "u1", "assistant", "a1", "user", "u2", "assistant", "a2")
	tests := []struct {
		name   string
		stored []Message
		want   bool
	}{
		{"identical", msgs("user", "u1", "assistant", "a1", "user", "u2", "assistant", "a2"), true},
		{"white space differs", msgs("user", "u1\r\n", "assistant", " a1", "user", "u2", "assistant", "a2\n"), true},
		{"began with a transcript", msgs("user", Transcript(msgs("user", "u1", "assistant", "a1"), "u2"), "assistant", "a2"), true},
		{"transcript of other messages", msgs("user", Transcript(msgs("user", "X", "assistant", "a1"), "u2"), "assistant", "a2"), false},
		{"reply differs", msgs("user", "u1", "assistant", "a1", "user", "u2", "assistant", "other"), false},
		{"stored is longer", msgs("user", "u1", "assistant", "a1", "user", "u2", "assistant", "a2", "user", "u3", "assistant", "a3"), false},
		{"stored is a prefix only", msgs("user", "u1", "assistant", "a1"), false},
		{"empty", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MatchStored(prior, tt.stored); got != tt.want {
				t.Errorf("MatchStored = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTranscript(t *testing.T) {
	if got := Transcript(nil, "hello"); got != "hello" {
		t.Errorf("no prior: %q", got)
	}
	got := Transcript(msgs("user", "u1", "assistant", "a1"), "u2")
	for _, want := range []string{"<transcript>", `<message role="user">` + "\nu1\n</message>", `<message role="assistant">` + "\na1\n</message>", "</transcript>", "New message:\n\nu2"} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%s", want, got)
		}
	}
}
