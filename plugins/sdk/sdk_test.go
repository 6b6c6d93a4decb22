package sdk

import (
	"bytes"
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestSameBytes(t *testing.T) {
	a := []byte(`{"aliases":{"sonnet":"claude-sonnet-4-5"},"max_tokens_mode":"refuse"}`)
	for i := 0; i <= len(a); i++ {
		b := append([]byte(nil), a[:i]...)
		if !sameBytes(a[:i], b) {
			t.Fatalf("prefix %d differs from its copy", i)
		}
		if i > 0 {
			b[i-1] ^= 1
			if sameBytes(a[:i], b) {
				t.Fatalf("prefix %d equals a changed copy", i)
			}
		}
	}
}

func TestCachedReparsesOnChange(t *testing.T) {
	parses := 0
	c := NewCached(func(raw []byte) (string, error) { parses++; return string(raw), nil })
	for _, raw := range []string{`{"a":1}`, `{"a":1}`, `{"a":2}`, `{"a":2}`} {
		if got, _ := c.Get([]byte(raw)); got != raw {
			t.Fatalf("Get(%s) = %s", raw, got)
		}
	}
	if parses != 2 {
		t.Fatalf("%d parses, want 2", parses)
	}
}

func TestEvaluate(t *testing.T) {
	policy = nil
	if _, err := Evaluate(nil, []byte(`{}`)); err == nil {
		t.Fatal("Evaluate without a policy must fail")
	}
	Register(func(in *abi.Input) abi.Output {
		if in.Request.Model == "" {
			return abi.Denied("no_model", "a model is required")
		}
		return abi.Allowed()
	})
	defer func() { policy = nil }()
	out, err := Evaluate(nil, []byte(`{"abi":1,"request":{"model":""}}`))
	if err != nil || !bytes.Equal(out, []byte(`{"allow":false,"code":"no_model","reason":"a model is required"}`)) {
		t.Fatalf("got %s, %v", out, err)
	}
	if _, err := Evaluate(nil, []byte(`{"abi":`)); err == nil {
		t.Fatal("a malformed input must fail")
	}
}
