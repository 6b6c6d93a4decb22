// Package sdk is the Go SDK for ccgateway policy authors. A policy is a main package
// built with GOOS=wasip1 GOARCH=wasm -buildmode=c-shared that registers one function:
//
//	func init() {
//		sdk.Register(func(in *abi.Input) abi.Output {
//			if in.Request.Stream {
//				return abi.Denied("no_streaming", "streaming is off")
//			}
//			return abi.Allowed()
//		})
//	}
//
//	func main() {}
//
// The SDK provides the module exports of ABI v1 (memory, ccg_buffer, evaluate,
// abi_version) and decodes and encodes the ABI JSON without reflection (package
// abijson), which keeps a call in the microseconds. It builds natively too, so policy
// functions can be unit-tested with go test; Evaluate runs the whole guest path.
package sdk

import (
	"encoding/binary"
	"errors"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// Func decides one request. in and its slices and maps belong to the call; the
// strings in it may be kept.
type Func func(in *abi.Input) abi.Output

var (
	policy Func
	fields = abi.FieldsAll
)

// Needs declares the Input members the policy reads (see abi.Fields); the host
// then leaves the others out, which makes each decision cheaper. Without it the
// policy receives every member. Call it from init, next to Register.
func Needs(f abi.Fields) { fields = f }

// Register sets the policy function; call it once from an init function.
func Register(fn Func) {
	if policy != nil {
		panic("sdk: Register called twice")
	}
	policy = fn
}

// Evaluate decodes input, runs the registered policy and appends the output JSON to
// dst. A malformed input or a missing policy makes it return an error; the wasm
// export turns that into a trap, so the host applies the policy's failure mode.
func Evaluate(dst, input []byte) ([]byte, error) {
	if policy == nil {
		return dst, errors.New("sdk: no policy registered")
	}
	// One copy lets every string of in share its memory instead of being allocated
	// one by one; allocations are what a Go guest pays most for under wazero.
	data := append([]byte(nil), input...)
	var in abi.Input
	if err := abijson.UnmarshalInputAliased(data, &in); err != nil {
		return dst, errors.New("sdk: decode input: " + err.Error())
	}
	out := policy(&in)
	return abijson.AppendOutput(dst, &out), nil
}

// Cached parses a policy configuration once and reuses the result while the raw
// configuration stays the same (a policy version's configuration rarely changes, and
// an instance serves one policy version).
type Cached[T any] struct {
	parse func(raw []byte) (T, error)
	raw   []byte
	val   T
	err   error
	valid bool
}

// NewCached returns a Cached that parses configurations with parse.
func NewCached[T any](parse func(raw []byte) (T, error)) *Cached[T] {
	return &Cached[T]{parse: parse}
}

// Get returns the parsed form of raw, parsing it only when it changed.
func (c *Cached[T]) Get(raw []byte) (T, error) {
	if !c.valid || !sameBytes(c.raw, raw) {
		c.raw = append(c.raw[:0], raw...)
		c.val, c.err = c.parse(c.raw)
		c.valid = true
	}
	return c.val, c.err
}

// sameBytes is bytes.Equal a word at a time: in a wasm guest bytes.Equal loops
// byte by byte, and each iteration costs a cancellation check under wazero.
func sameBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	i := 0
	for ; i+8 <= len(a); i += 8 {
		if binary.LittleEndian.Uint64(a[i:]) != binary.LittleEndian.Uint64(b[i:]) {
			return false
		}
	}
	for ; i < len(a); i++ {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
