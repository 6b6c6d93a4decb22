package idempotency

import (
	"strconv"
	"testing"
)

// BenchmarkFirstRequest measures what a key adds to a create on SQLite: one
// claim and one completion per request (the wrapped handler does nothing).
func BenchmarkFirstRequest(b *testing.B) {
	x := newHarness(b)
	for i := 0; b.Loop(); i++ {
		if w := x.post("k1", "key-"+strconv.Itoa(i), `{"title":"t"}`); w.Code != 201 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkReplay measures a retry answered from the record.
func BenchmarkReplay(b *testing.B) {
	x := newHarness(b)
	x.post("k1", "key", `{"title":"t"}`)
	for b.Loop() {
		if w := x.post("k1", "key", `{"title":"t"}`); w.Code != 201 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkNoKey is the baseline: a request without a key.
func BenchmarkNoKey(b *testing.B) {
	x := newHarness(b)
	for b.Loop() {
		if w := x.post("k1", "", `{"title":"t"}`); w.Code != 201 {
			b.Fatal(w.Code)
		}
	}
}
