package compat

import (
	"encoding/json"
	"testing"
)

func TestStopReasonMapping(t *testing.T) {
	for _, tc := range []struct {
		name      string
		res       Result
		finish    string // OpenAI finish_reason
		anthropic string // Anthropic stop_reason
		sequence  string // Anthropic stop_sequence as JSON
	}{
		{"end turn", Result{StopReason: "end_turn"}, "stop", "end_turn", "null"},
		{"unknown", Result{}, "stop", "end_turn", "null"},
		{"named stop sequence", Result{StopReason: "stop_sequence", StopSequence: "END"}, "stop", "stop_sequence", `"END"`},
		{"unnamed stop sequence", Result{StopReason: "stop_sequence"}, "stop", "stop_sequence", "null"},
		{"max tokens", Result{StopReason: "max_tokens", StopSequence: "stray"}, "length", "max_tokens", "null"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := NewChatCompletion("c", 1, tc.res).Choices[0].FinishReason; got != tc.finish {
				t.Errorf("finish_reason %q, want %q", got, tc.finish)
			}
			if got := *(ChunkStream{}).Finish(tc.res.StopReason).Choices[0].FinishReason; got != tc.finish {
				t.Errorf("chunk finish_reason %q, want %q", got, tc.finish)
			}
			msg := NewAnthropicMessage("m", tc.res)
			seq, _ := json.Marshal(msg.StopSequence)
			if *msg.StopReason != tc.anthropic || string(seq) != tc.sequence {
				t.Errorf("message stop_reason %q stop_sequence %s", *msg.StopReason, seq)
			}
			delta := MessageDelta(tc.res).Data.(map[string]any)["delta"].(map[string]any)
			seq, _ = json.Marshal(delta["stop_sequence"])
			if delta["stop_reason"] != tc.anthropic || string(seq) != tc.sequence {
				t.Errorf("message_delta %v", delta)
			}
		})
	}
}
