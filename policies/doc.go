// Package policies runs ccgateway's WASM admission policies under wazero.
//
// An Engine owns one wazero runtime (compiler, file compilation cache, memory cap,
// close-on-context-done). Engine.Load compiles and validates a policy version (its
// imports, its exports, its ABI version and its self-test cases) and returns a
// Policy, which pools instances so that no instance ever serves two goroutines at
// once and a failed instance is never reused. A Chain runs policies in order and
// stops at the first deny; a Registry holds the active Chain and swaps it without
// disturbing evaluations in flight.
//
// The host-guest contract lives in package abi; plugins/sdk is the guest side.
package policies
