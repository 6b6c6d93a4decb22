package claudecli

import (
	"context"
	"errors"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// realConfig returns a Config that runs the real CLI against api.
func realConfig(t testing.TB, api *testkit.FakeAPI) Config {
	t.Helper()
	env := append([]string{"PATH=" + os.Getenv("PATH"), "CCGATEWAY_ADMIN_PASSWORD=hunter2-must-not-leak"}, api.Env()...)
	return Config{Path: testkit.ClaudePath(t), Env: env, MaxRetries: -1, Watchdog: 30 * time.Second}
}

// newSpec returns a Spec with fresh per-test directories.
func newSpec(t testing.TB) Spec {
	t.Helper()
	return Spec{Model: "claude-test-model", SystemPrompt: "You are the ccgateway test assistant.",
		ConfigDir: t.TempDir(), WorkDir: t.TempDir()}
}

// start starts a process and closes it when the test ends.
func start(t testing.TB, cfg Config, spec Spec) *Process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p, err := Start(ctx, cfg, spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// collect drains a turn; it fails the test if the turn does not end within limit.
func collect(t testing.TB, ch <-chan Event, limit time.Duration) (events []Event, res *Result, err *Error) {
	t.Helper()
	deadline := time.After(limit)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				if res == nil && err == nil {
					t.Fatal("turn channel closed without a final event")
				}
				return events, res, err
			}
			events = append(events, ev)
			switch e := ev.(type) {
			case Result:
				res = &e
			case ErrorEvent:
				err = e.Err
			}
		case <-deadline:
			t.Fatalf("turn did not end within %s (events so far: %d)", limit, len(events))
		}
	}
}

// turn runs one turn and returns its events and final outcome.
func turn(t testing.TB, p *Process, text string, limit time.Duration) ([]Event, *Result, *Error) {
	t.Helper()
	ch, err := p.Turn(context.Background(), text)
	if err != nil {
		t.Fatalf("Turn: %v", err)
	}
	return collect(t, ch, limit)
}

// mustSucceed runs one turn that must end with a Result.
func mustSucceed(t testing.TB, p *Process, text string) ([]Event, Result) {
	t.Helper()
	evs, res, e := turn(t, p, text, 30*time.Second)
	if e != nil {
		t.Fatalf("turn %q failed: %v", text, e)
	}
	return evs, *res
}

// deltas returns the text deltas among events, in order.
func deltas(evs []Event) []string {
	var out []string
	for _, ev := range evs {
		if d, ok := ev.(TextDelta); ok {
			out = append(out, d.Text)
		}
	}
	return out
}

// gone reports whether neither the process nor any member of its group exists.
func gone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) && errors.Is(syscall.Kill(-pid, 0), syscall.ESRCH)
}

// waitGone waits up to limit for the process group pid to disappear.
func waitGone(t testing.TB, pid int, limit time.Duration) {
	t.Helper()
	end := time.Now().Add(limit)
	for !gone(pid) {
		if time.Now().After(end) {
			t.Fatalf("process group %d still alive after %s", pid, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// itoa formats a pid.
func itoa(n int) string { return strconv.Itoa(n) }
