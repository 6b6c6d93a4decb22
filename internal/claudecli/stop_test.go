package claudecli

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func TestValidateStopSequences(t *testing.T) {
	for _, tc := range []struct {
		name string
		seqs []string
		ok   bool
	}{
		{"none", nil, true},
		{"one", []string{"END"}, true},
		{"at the cap", []string{"a", "b", "c", "d", "e", "f", "g", "h"}, true},
		{"newline with text", []string{"\n\nHuman:"}, true},
		{"too many", []string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, false},
		{"empty", []string{"a", ""}, false},
		{"whitespace only", []string{"\n"}, false},
		{"too long", []string{strings.Repeat("x", MaxStopSequenceLength+1)}, false},
		{"long multibyte within the cap", []string{strings.Repeat("é", MaxStopSequenceLength)}, true},
		{"invalid UTF-8", []string{"a\xff"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateStopSequences(tc.seqs)
			if (err == nil) != tc.ok {
				t.Fatalf("ValidateStopSequences(%q) = %v, want ok=%v", tc.seqs, err, tc.ok)
			}
			if err != nil && !errors.Is(err, ErrStopSequence) {
				t.Errorf("error %v does not wrap ErrStopSequence", err)
			}
			spec := Spec{ConfigDir: "/c", WorkDir: "/w", StopSequences: tc.seqs}
			if err := spec.Validate(); (err == nil) != tc.ok {
				t.Errorf("Spec.Validate = %v, want ok=%v", err, tc.ok)
			}
		})
	}
}

func TestExtraBodyEnv(t *testing.T) {
	temp := 0.2
	for _, tc := range []struct {
		name      string
		spec      Spec
		extra     string // "" = variable absent
		noThought bool   // MAX_THINKING_TOKENS=0
	}{
		{"neither", Spec{}, "", false},
		{"temperature", Spec{Temperature: &temp}, `{"temperature":0.2,"thinking":{"type":"disabled"}}`, true},
		{"stop sequences keep thinking", Spec{StopSequences: []string{"END"}}, `{"stop_sequences":["END"]}`, false},
		{"both in one object", Spec{Temperature: &temp, StopSequences: []string{"A", "B\""}}, `{"stop_sequences":["A","B\""],"temperature":0.2,"thinking":{"type":"disabled"}}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.ConfigDir = "/c"
			env := buildEnv(Config{Env: []string{}}.withDefaults(), tc.spec)
			extra, hasExtra := lookup(env, "CLAUDE_CODE_EXTRA_BODY")
			if extra != tc.extra || hasExtra != (tc.extra != "") {
				t.Errorf("CLAUDE_CODE_EXTRA_BODY = %q (set %v), want %q", extra, hasExtra, tc.extra)
			}
			if v, _ := lookup(env, "MAX_THINKING_TOKENS"); (v == "0") != tc.noThought {
				t.Errorf("MAX_THINKING_TOKENS = %q", v)
			}
		})
	}
}

func lookup(env []string, key string) (string, bool) {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

// TestRealCLIStopSequences checks, against the real CLI, that stop sequences set
// with a temperature reach every request body of a process, and that the stop
// sequence the API names comes back on the Result only when it ended the reply.
func TestRealCLIStopSequences(t *testing.T) {
	api := testkit.NewFakeAPI(t)
	spec := newSpec(t)
	temp := 0.4
	spec.Temperature, spec.StopSequences = &temp, []string{"STOP", "\n\nHuman:"}
	p := start(t, realConfig(t, api), spec)

	for _, tc := range []struct {
		name    string
		reply   testkit.Reply
		reason  string
		stopSeq string
	}{
		{"named stop sequence", testkit.Reply{Text: "cut short", StopReason: "stop_sequence", StopSequence: "STOP"}, "stop_sequence", "STOP"},
		{"normal end resets it", testkit.Reply{Text: "whole answer"}, "end_turn", ""},
		{"unnamed stop sequence", testkit.Reply{Text: "cut", StopReason: "stop_sequence"}, "stop_sequence", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api.Reset()
			api.SetReply(func(*testkit.Request) testkit.Reply { return tc.reply })
			_, res := mustSucceed(t, p, "question")
			if res.StopReason != tc.reason || res.StopSequence != tc.stopSeq {
				t.Errorf("stop_reason %q stop_sequence %q, want %q %q", res.StopReason, res.StopSequence, tc.reason, tc.stopSeq)
			}
			reqs := api.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(reqs))
			}
			if r := reqs[0]; !slices.Equal(r.StopSequences, spec.StopSequences) || r.Temperature == nil || *r.Temperature != temp {
				t.Errorf("request stop_sequences %q temperature %v", r.StopSequences, r.Temperature)
			}
		})
	}
}
