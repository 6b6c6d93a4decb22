package testkit

import (
	"testing"
	"time"
)

// Eventually polls cond every 10 ms until it holds, and fails the test naming
// what was awaited when it does not hold within timeout. Tests wait with it
// instead of fixed sleeps.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not met within %s: %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
