package claudecli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestRealCLIFaults drives the real CLI into upstream failures, stalls and cancels.
func TestRealCLIFaults(t *testing.T) {
	api := testkit.NewFakeAPI(t)

	statusCases := []struct {
		name       string
		reply      testkit.Reply
		maxRetries int
		want       Class
		limit      time.Duration
	}{
		{"401 is upstream_auth_failed within 10s", testkit.Reply{Status: 401}, 0, ClassAuthFailed, 10 * time.Second},
		{"403 is upstream_auth_failed", testkit.Reply{Status: 403}, -1, ClassAuthFailed, 10 * time.Second},
		{"429 is upstream_rate_limited", testkit.Reply{Status: 429}, -1, ClassRateLimited, 10 * time.Second},
		{"529 is upstream_overloaded", testkit.Reply{Status: 529}, -1, ClassOverloaded, 10 * time.Second},
		{"500 is upstream_error", testkit.Reply{Status: 500}, -1, ClassUpstreamError, 10 * time.Second},
	}
	for _, tc := range statusCases {
		t.Run(tc.name, func(t *testing.T) {
			api.SetReply(func(*testkit.Request) testkit.Reply { return tc.reply })
			defer api.SetReply(nil)
			cfg := realConfig(t, api)
			cfg.MaxRetries = tc.maxRetries // 0 = the driver's default of 2 retries
			p := start(t, cfg, newSpec(t))
			began := time.Now()
			_, _, e := turn(t, p, "hi", tc.limit)
			if e == nil || e.Class != tc.want {
				t.Fatalf("error = %v, want class %s", e, tc.want)
			}
			if e.Status != tc.reply.Status {
				t.Errorf("Status = %d, want %d", e.Status, tc.reply.Status)
			}
			if (tc.want == ClassRateLimited || tc.want == ClassOverloaded) && e.RetryAfter != DefaultRetryAfter {
				t.Errorf("RetryAfter = %s without retries, want the default", e.RetryAfter)
			}
			t.Logf("%s after %s: %v", tc.want, time.Since(began).Round(time.Millisecond), e)
			// The process survives an API error and serves the next turn.
			api.SetReply(nil)
			// The CLI keeps the failed user text and merges it into the next one.
			if _, res := mustSucceed(t, p, "again"); !strings.HasSuffix(res.Text, "again") {
				t.Errorf("next turn Text = %q", res.Text)
			}
		})
	}

	t.Run("429 retry-after surfaces through api_retry", func(t *testing.T) {
		api.SetReply(func(*testkit.Request) testkit.Reply {
			return testkit.Reply{Status: http.StatusTooManyRequests, RetryAfter: 2 * time.Second}
		})
		defer api.SetReply(nil)
		cfg := realConfig(t, api)
		cfg.MaxRetries = 1
		p := start(t, cfg, newSpec(t))
		evs, _, e := turn(t, p, "hi", 20*time.Second)
		if e == nil || e.Class != ClassRateLimited {
			t.Fatalf("error = %v, want upstream_rate_limited", e)
		}
		var retries int
		for _, ev := range evs {
			if r, ok := ev.(APIRetry); ok && r.ErrorStatus == 429 {
				retries++
			}
		}
		if retries != 1 || e.RetryAfter < 2*time.Second || e.RetryAfter > 4*time.Second {
			t.Errorf("retries %d, RetryAfter %s; want 1 retry and about 2s", retries, e.RetryAfter)
		}
	})

	t.Run("stall mid-stream hits the watchdog and kills the group", func(t *testing.T) {
		api.SetReply(func(r *testkit.Request) testkit.Reply {
			return testkit.Reply{Text: "a b c d e f", Stall: r.LastUserText() == "stall"}
		})
		defer api.SetReply(nil)
		cfg := realConfig(t, api)
		p := start(t, cfg, newSpec(t))
		// A first turn, under the default watchdog, absorbs the CLI's start-up,
		// which on a busy machine can be silent for seconds.
		mustSucceed(t, p, "warm up")
		p.cfg.Watchdog = 2 * time.Second // short only for the turn under test (no turn runs now)
		began := time.Now()
		evs, _, e := turn(t, p, "stall", 15*time.Second)
		if e == nil || e.Class != ClassTimeout {
			t.Fatalf("error = %v, want timeout", e)
		}
		if len(deltas(evs)) == 0 {
			t.Error("no deltas before the stall")
		}
		waitGone(t, p.Pid(), 2*time.Second)
		t.Logf("timeout after %s", time.Since(began).Round(time.Millisecond))
	})

	t.Run("context cancel mid-stream ends the process within 2s", func(t *testing.T) {
		api.SetReply(func(*testkit.Request) testkit.Reply {
			return testkit.Reply{Chunks: strings.Split(strings.Repeat("x ", 50), " "), ChunkDelay: 200 * time.Millisecond}
		})
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ch, err := p.Turn(ctx, "hi")
		if err != nil {
			t.Fatal(err)
		}
		for ev := range ch {
			if _, ok := ev.(TextDelta); ok {
				break
			}
		}
		cancel()
		began := time.Now()
		_, _, e := collect(t, ch, 5*time.Second)
		if e == nil || e.Class != ClassInterrupted {
			t.Errorf("error = %v, want interrupted", e)
		}
		waitGone(t, p.Pid(), 2*time.Second-time.Since(began))
	})

	t.Run("connection reset is upstream_error", func(t *testing.T) {
		api.SetReply(func(*testkit.Request) testkit.Reply { return testkit.Reply{Reset: true} })
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		if _, _, e := turn(t, p, "hi", 20*time.Second); e == nil || e.Class != ClassUpstreamError {
			t.Errorf("error = %v, want upstream_error", e)
		}
	})

	t.Run("no credentials is not_logged_in", func(t *testing.T) {
		cfg := realConfig(t, api)
		cfg.Env = []string{"PATH=" + os.Getenv("PATH"), "ANTHROPIC_BASE_URL=" + api.URL()}
		if CredentialsConfigured(cfg.Env) {
			t.Fatal("CredentialsConfigured = true without credentials")
		}
		api.Reset()
		p := start(t, cfg, newSpec(t))
		if _, _, e := turn(t, p, "hi", 10*time.Second); e == nil || e.Class != ClassNotLoggedIn {
			t.Errorf("error = %v, want not_logged_in", e)
		}
		if n := len(api.Requests()); n != 0 {
			t.Errorf("%d messages requests without credentials", n)
		}
	})

	t.Run("missing binary is cli_not_found", func(t *testing.T) {
		cfg := realConfig(t, api)
		cfg.Path = filepath.Join(t.TempDir(), "no-such-claude")
		if _, err := Start(context.Background(), cfg, newSpec(t)); ClassOf(err) != ClassCLINotFound {
			t.Errorf("Start error = %v, want cli_not_found", err)
		}
		cfg.Path = "no-such-claude-on-path"
		if _, err := Probe(context.Background(), cfg); ClassOf(err) != ClassCLINotFound {
			t.Errorf("Probe error = %v, want cli_not_found", err)
		}
	})

	t.Run("environment holds no CCGATEWAY_ variable", func(t *testing.T) {
		p := start(t, realConfig(t, api), newSpec(t))
		raw, err := os.ReadFile(filepath.Join("/proc", itoa(p.Pid()), "environ"))
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range strings.Split(string(raw), "\x00") {
			if strings.HasPrefix(kv, "CCGATEWAY_") || strings.Contains(kv, "hunter2") {
				t.Errorf("CLI environment holds %q", kv)
			}
		}
	})
}

// TestHungCLIBigTurn writes a turn larger than the pipe buffer to a CLI that never
// reads stdin: the watchdog, or ctx, must still end the turn, and Turn itself
// must not block.
func TestHungCLIBigTurn(t *testing.T) {
	// A CLI that neither reads nor writes: sleep ignores its stdin.
	path := filepath.Join(t.TempDir(), "claude")
	if err := os.WriteFile(path, []byte("#!/bin/sh\nexec sleep 600\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("x", 256<<10) // the Linux pipe buffer is 64 KB
	for _, tc := range []struct {
		name   string
		cancel bool
		want   Class
	}{
		{"watchdog", false, ClassTimeout},
		{"context cancel", true, ClassInterrupted},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{Path: path, Env: []string{"PATH=" + os.Getenv("PATH")}, Watchdog: time.Second, InterruptTimeout: 500 * time.Millisecond}
			if tc.cancel {
				cfg.Watchdog = time.Minute
			}
			p := start(t, cfg, newSpec(t))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			began := time.Now()
			type turnResult struct {
				ch  <-chan Event
				err error
			}
			got := make(chan turnResult, 1)
			go func() {
				ch, err := p.Turn(ctx, big)
				got <- turnResult{ch, err}
			}()
			var r turnResult
			select {
			case r = <-got:
			case <-time.After(5 * time.Second):
				_ = p.Close() // unblocks the write so the test can end
				t.Fatal("Turn blocked writing to a CLI that does not read stdin")
			}
			if r.err != nil {
				t.Fatalf("Turn: %v", r.err)
			}
			if tc.cancel {
				time.Sleep(200 * time.Millisecond)
				cancel()
			}
			_, _, e := collect(t, r.ch, 5*time.Second)
			if e == nil || e.Class != tc.want {
				t.Errorf("error = %v, want %s", e, tc.want)
			}
			if d := time.Since(began); d > 3*time.Second {
				t.Errorf("turn took %s", d)
			}
			waitGone(t, p.Pid(), 2*time.Second)
		})
	}
}
