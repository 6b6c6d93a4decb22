//go:build wasip1

package sdk

import (
	"runtime"
	"runtime/debug"
	"unsafe"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// inBuf receives the host's input; outBuf holds the last output. Both stay
// referenced by these globals, and Go's collector does not move objects, so the
// pointers handed to the host stay valid until the next call.
var inBuf, outBuf []byte

// The collector runs when the host asks (ccg_gc, between evaluations and under a
// longer deadline), not in the middle of an evaluation: under wazero a collection
// costs milliseconds and would push a decision past its deadline. The memory limit
// is a safety net for hosts that never ask.
func init() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(24 << 20)
}

//go:wasmexport ccg_gc
func ccgGC() { runtime.GC() }

//go:wasmexport abi_version
func abiVersion() uint32 { return abi.Version }

//go:wasmexport input_fields
func inputFields() uint64 { return uint64(fields) }

//go:wasmexport ccg_buffer
func ccgBuffer(size uint32) uint32 {
	if uint32(cap(inBuf)) < size || cap(inBuf) == 0 {
		n := uint32(4096)
		for n < size {
			n *= 2
		}
		inBuf = make([]byte, n)
	}
	inBuf = inBuf[:cap(inBuf)]
	return uint32(uintptr(unsafe.Pointer(&inBuf[0])))
}

//go:wasmexport evaluate
func evaluate(n uint32) uint64 {
	if int(n) > len(inBuf) {
		panic("sdk: evaluate: input longer than the buffer")
	}
	out, err := Evaluate(outBuf[:0], inBuf[:n])
	if err != nil {
		panic(err.Error()) // a trap: the host applies the failure mode
	}
	outBuf = out
	if len(outBuf) == 0 {
		return 0
	}
	return uint64(uintptr(unsafe.Pointer(&outBuf[0])))<<32 | uint64(len(outBuf))
}

//go:wasmimport ccg log
func hostLog(ptr, n uint32)

//go:wasmimport ccg now_ms
func hostNowMS() int64

// Log sends msg to the gateway's log (the host caps length and rate).
func Log(msg string) {
	if len(msg) == 0 {
		return
	}
	hostLog(uint32(uintptr(unsafe.Pointer(unsafe.StringData(msg)))), uint32(len(msg)))
}

// NowMS returns the host's wall clock in Unix milliseconds. Prefer abi.Input.NowMS,
// which makes decisions reproducible.
func NowMS() int64 { return hostNowMS() }
