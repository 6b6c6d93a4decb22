package claudecli

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// fakeConfig returns a Config that runs the fault-injecting fake claude in mode.
func fakeConfig(t testing.TB, mode string) Config {
	t.Helper()
	return Config{
		Path: testkit.BuildFakeClaude(t),
		Env: []string{"PATH=" + os.Getenv("PATH"), testkit.FakeClaudeModeEnv + "=" + mode,
			"ANTHROPIC_API_KEY=sk-ant-secret-value-1234", "CCGATEWAY_DATABASE_URL=postgres://secret",
			"FAKE_CLAUDE_DELAY=300ms"},
		PassEnv:  []string{testkit.FakeClaudeModeEnv, "FAKE_CLAUDE_DELAY"},
		Watchdog: 10 * time.Second,
	}
}

// TestFakeCLIFaults injects faults the real CLI cannot be made to produce on demand.
func TestFakeCLIFaults(t *testing.T) {
	t.Run("crash mid-turn is cli_crashed without secrets", func(t *testing.T) {
		p := start(t, fakeConfig(t, testkit.FakeModeCrash), newSpec(t))
		evs, _, e := turn(t, p, "hi", 10*time.Second)
		if e == nil || e.Class != ClassCLICrashed {
			t.Fatalf("error = %v, want cli_crashed", e)
		}
		if len(deltas(evs)) != 1 {
			t.Errorf("deltas before the crash = %q", deltas(evs))
		}
		if !strings.Contains(e.Message, "crashing on purpose") || strings.Contains(e.Message, "secret-value") {
			t.Errorf("Message = %q: want the stderr tail, redacted", e.Message)
		}
		if _, err := p.Turn(t.Context(), "again"); ClassOf(err) != ClassCLICrashed {
			t.Errorf("Turn after crash: %v, want cli_crashed", err)
		}
	})

	t.Run("garbage lines are ignored", func(t *testing.T) {
		p := start(t, fakeConfig(t, testkit.FakeModeGarbage), newSpec(t))
		_, res := mustSucceed(t, p, "hi")
		if res.Text != "fake: hi" {
			t.Errorf("Text = %q", res.Text)
		}
		_, res = mustSucceed(t, p, "again")
		if res.Text != "fake: again" {
			t.Errorf("second Text = %q", res.Text)
		}
	})

	t.Run("silence is timeout and the process is killed", func(t *testing.T) {
		cfg := fakeConfig(t, testkit.FakeModeSilence)
		cfg.Watchdog = time.Second
		cfg.InterruptTimeout = 500 * time.Millisecond
		p := start(t, cfg, newSpec(t))
		began := time.Now()
		if _, _, e := turn(t, p, "hi", 10*time.Second); e == nil || e.Class != ClassTimeout {
			t.Fatalf("error = %v, want timeout", e)
		}
		if d := time.Since(began); d > 3*time.Second {
			t.Errorf("timeout took %s", d)
		}
		waitGone(t, p.Pid(), 2*time.Second)
	})

	t.Run("slow answer within the watchdog succeeds", func(t *testing.T) {
		p := start(t, fakeConfig(t, testkit.FakeModeSlow), newSpec(t))
		if _, res := mustSucceed(t, p, "hi"); res.Text != "fake: hi" {
			t.Errorf("Text = %q", res.Text)
		}
	})

	t.Run("environment is the allowlist", func(t *testing.T) {
		spec := newSpec(t)
		temp := 0.5
		spec.Temperature, spec.MaxTokens = &temp, 99
		p := start(t, fakeConfig(t, testkit.FakeModeEnv), spec)
		_, res := mustSucceed(t, p, "env")
		got := map[string]string{}
		for _, kv := range strings.Split(res.Text, "\n") {
			k, v, _ := strings.Cut(kv, "=")
			got[k] = v
			if strings.HasPrefix(k, "CCGATEWAY_") {
				t.Errorf("CLI environment holds %s", k)
			}
		}
		want := map[string]string{
			"HOME": spec.ConfigDir, "CLAUDE_CONFIG_DIR": spec.ConfigDir, "CLAUDE_CODE_MAX_RETRIES": "2",
			"CLAUDE_CODE_MAX_OUTPUT_TOKENS": "99", "CLAUDE_CODE_EXTRA_BODY": `{"temperature":0.5,"thinking":{"type":"disabled"}}`,
			"MAX_THINKING_TOKENS": "0", "ANTHROPIC_API_KEY": "sk-ant-secret-value-1234",
			"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %q, want %q", k, got[k], v)
			}
		}
	})
}

// TestCloseDuringTurn checks that Close ends a running turn with process_stopped.
func TestCloseDuringTurn(t *testing.T) {
	p := start(t, fakeConfig(t, testkit.FakeModeSilence), newSpec(t))
	ch, err := p.Turn(t.Context(), "hi")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, e := collect(t, ch, 5*time.Second); e == nil || e.Class != ClassProcessStopped {
		t.Errorf("error = %v, want process_stopped", e)
	}
	if err := p.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := p.Turn(t.Context(), "again"); ClassOf(err) != ClassProcessStopped {
		t.Errorf("Turn after Close: %v", err)
	}
	waitGone(t, p.Pid(), time.Second)
}
