package policies

import (
	"context"
	"errors"
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// memoryOnly is a module that exports a memory and nothing else.
var memoryOnly = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
	0x05, 0x03, 0x01, 0x00, 0x01, // memory section: one memory, min 1 page
	0x07, 0x0a, 0x01, 0x06, 'm', 'e', 'm', 'o', 'r', 'y', 0x02, 0x00} // export "memory"

func TestLoadRefuses(t *testing.T) {
	e := newTestEngine(t, Config{})
	rl, err := BundledWasm(RateLimit)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("forbidden import", func(t *testing.T) {
		_, err := e.Load(ctx, Spec{Name: "forbidden", Wasm: fixture(t, "forbidden")})
		var fi *ErrForbiddenImport
		if !errors.As(err, &fi) || fi.Module != "env" || fi.Name != "evil" {
			t.Fatalf("got %v, want ErrForbiddenImport env.evil", err)
		}
	})
	t.Run("missing export", func(t *testing.T) {
		_, err := e.Load(ctx, Spec{Name: "bare", Wasm: memoryOnly})
		var me *ErrMissingExport
		if !errors.As(err, &me) || me.Name != abi.ExportBuffer {
			t.Fatalf("got %v, want ErrMissingExport ccg_buffer", err)
		}
	})
	t.Run("not wasm", func(t *testing.T) {
		if _, err := e.Load(ctx, Spec{Name: "junk", Wasm: []byte("hello")}); err == nil {
			t.Fatal("junk loaded")
		}
	})
	t.Run("failing self-test", func(t *testing.T) {
		_, err := e.Load(ctx, Spec{Name: RateLimit, Wasm: rl, Tests: []TestCase{
			{Name: "ok", Allow: true},
			{Name: "wrong", Input: abi.Input{Key: abi.Key{MaxConcurrentRequests: 1}, Counters: abi.Counters{InFlight: 1}}, Allow: true},
		}})
		var st *ErrSelfTest
		if !errors.As(err, &st) || st.Case != "wrong" || st.Want != "allow" || st.Got != "deny:"+abi.CodeConcurrencyLimit {
			t.Fatalf("got %v, want ErrSelfTest for case wrong", err)
		}
	})
	t.Run("self-test that loops", func(t *testing.T) {
		_, err := e.Load(ctx, Spec{Name: "fixture", Wasm: fixture(t, "fixture"), Tests: []TestCase{
			{Name: "loops", Input: abi.Input{Request: abi.Request{Endpoint: "loop"}}, Allow: true},
		}})
		var st *ErrSelfTest
		if !errors.As(err, &st) || !errors.Is(err, ErrTimeout) {
			t.Fatalf("got %v, want ErrSelfTest wrapping ErrTimeout", err)
		}
	})
	t.Run("bad config", func(t *testing.T) {
		if _, err := e.Load(ctx, Spec{Name: RateLimit, Wasm: rl, Config: []byte("{")}); err == nil {
			t.Fatal("invalid config JSON accepted")
		}
	})
}

func TestTryFile(t *testing.T) {
	pm, err := BundledWasm(Permissions)
	if err != nil {
		t.Fatal(err)
	}
	input := []byte(`{"request":{"model":"sonnet","max_tokens":9000},"key":{"permissions":{"models":["claude-sonnet-4-5"],"max_tokens":4096}},
		"config":{"aliases":{"sonnet":"claude-sonnet-4-5"},"max_tokens_mode":"clamp"}}`)
	out, err := TryFile(context.Background(), pm, input)
	if err != nil {
		t.Fatal(err)
	}
	if !out.Allow || out.Rewrite == nil || out.Rewrite.MaxTokens == nil || *out.Rewrite.MaxTokens != 4096 {
		t.Fatalf("got %+v, want allow with max_tokens 4096", out)
	}
}
