package main

import (
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestDecide(t *testing.T) {
	const aliases = `{"aliases":{"sonnet":"claude-sonnet-4-5","opus":"claude-opus-4-1"}`
	key := abi.Key{Permissions: abi.Permissions{Models: []string{"claude-sonnet-4-5", "opus"}, MaxTokens: 4096},
		Tools: []string{"Read"}}
	tests := []struct {
		name    string
		config  string
		req     abi.Request
		code    string
		rewrite int64
	}{
		{"full name", aliases + `}`, abi.Request{Model: "claude-sonnet-4-5"}, "", 4096},
		{"alias resolves to allowed", aliases + `}`, abi.Request{Model: "sonnet"}, "", 4096},
		{"allowed alias", aliases + `}`, abi.Request{Model: "claude-opus-4-1"}, "", 4096},
		{"other model", aliases + `}`, abi.Request{Model: "claude-haiku-4-5"}, abi.CodeModelNotAllowed, 0},
		{"no model", aliases + `}`, abi.Request{}, abi.CodeModelNotAllowed, 0},
		{"streaming", ``, abi.Request{Model: "opus", Stream: true}, abi.CodeStreamingNotAllowed, 0},
		{"allowed tool", ``, abi.Request{Model: "opus", Tools: []string{"Read"}}, "", 4096},
		{"other tool", ``, abi.Request{Model: "opus", Tools: []string{"Read", "Bash"}}, abi.CodeToolNotAllowed, 0},
		{"max tokens refused", `{"max_tokens_mode":"refuse"}`, abi.Request{Model: "opus", MaxTokens: 5000}, abi.CodeMaxTokensExceeded, 0},
		{"max tokens clamped", aliases + `,"max_tokens_mode":"clamp"}`, abi.Request{Model: "opus", MaxTokens: 5000}, "", 4096},
		{"max tokens unset clamped", `{"max_tokens_mode":"clamp"}`, abi.Request{Model: "opus"}, "", 4096},
		{"max tokens at cap", ``, abi.Request{Model: "opus", MaxTokens: 4096}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decide(&abi.Input{Key: key, Request: tt.req, Config: []byte(tt.config)})
			if out.Allow != (tt.code == "") || out.Code != tt.code {
				t.Fatalf("got %+v, want code %q", out, tt.code)
			}
			if got := out.Rewrite != nil && out.Rewrite.MaxTokens != nil; got != (tt.rewrite != 0) || got && *out.Rewrite.MaxTokens != tt.rewrite {
				t.Fatalf("rewrite %+v, want max_tokens %d", out.Rewrite, tt.rewrite)
			}
		})
	}
	if out := decide(&abi.Input{Request: abi.Request{Model: "x", MaxTokens: 1 << 20}}); !out.Allow {
		t.Fatalf("an unrestricted key must be allowed, got %+v", out)
	}
}

func TestBadConfig(t *testing.T) {
	if _, err := parseConfig([]byte(`{"max_tokens_mode":"cut"}`)); err == nil {
		t.Fatal("want an error for an unknown mode")
	}
}
