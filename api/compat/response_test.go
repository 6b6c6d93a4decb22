package compat

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestChunksNeverCarryAnErrorKey(t *testing.T) {
	cs := ChunkStream{ID: "chatcmpl-1", Created: 1, Model: "m"}
	for _, c := range []ChatCompletionChunk{cs.Role(), cs.Text("x"), cs.Finish("end_turn"), cs.Usage(Usage{InputTokens: 1})} {
		b, _ := json.Marshal(c)
		if strings.Contains(string(b), `"error"`) {
			t.Errorf("chunk %s has an error key", b)
		}
	}
	b, _ := json.Marshal(cs.Usage(Usage{InputTokens: 3, OutputTokens: 4, CacheReadInputTokens: 2}))
	if !strings.Contains(string(b), `"choices":[]`) || !strings.Contains(string(b), `"prompt_tokens":5`) || !strings.Contains(string(b), `"cached_tokens":2`) {
		t.Errorf("usage chunk %s", b)
	}
}

func TestErrorTypes(t *testing.T) {
	tests := []struct {
		status          int
		openai, anthrop string
	}{
		{400, "invalid_request_error", "invalid_request_error"},
		{401, "authentication_error", "authentication_error"},
		{403, "permission_error", "permission_error"},
		{404, "not_found_error", "not_found_error"},
		{413, "invalid_request_error", "request_too_large"},
		{429, "rate_limit_error", "rate_limit_error"},
		{500, "server_error", "api_error"},
		{502, "server_error", "api_error"},
		{503, "server_error", "overloaded_error"},
		{504, "server_error", "timeout_error"},
	}
	for _, tt := range tests {
		if got := OpenAIErrorType(tt.status); got != tt.openai {
			t.Errorf("OpenAI %d: %q, want %q", tt.status, got, tt.openai)
		}
		if got := AnthropicErrorType(tt.status); got != tt.anthrop {
			t.Errorf("Anthropic %d: %q, want %q", tt.status, got, tt.anthrop)
		}
	}
}

// BenchmarkTranslate measures the gateway-side cost of one compat call with a
// 20-message history: parse, hash the prior history, render the reply.
func BenchmarkTranslate(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"model":"sonnet","messages":[{"role":"system","content":"Be terse."}`)
	for i := 0; i < 10; i++ {
		sb.WriteString(`,{"role":"user","content":"` + strings.Repeat("question words ", 20) + `"},{"role":"assistant","content":"` + strings.Repeat("answer words ", 40) + `"}`)
	}
	sb.WriteString(`,{"role":"user","content":"and now?"}]}`)
	body := []byte(sb.String())
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r, err := ParseOpenAI(body)
		if err != nil {
			b.Fatal(err)
		}
		prior, next := Split(r.Messages)
		_ = HistoryHash(r.System, prior)
		_ = HistoryHash(r.System, append(append(prior[:len(prior):len(prior)], Message{RoleUser, next}), Message{RoleAssistant, "reply"}))
		if _, err := json.Marshal(NewChatCompletion("chatcmpl-1", 1, Result{Model: "m", Text: "reply", StopReason: "end_turn"})); err != nil {
			b.Fatal(err)
		}
	}
}
