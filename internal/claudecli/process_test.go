package claudecli

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestRealCLITurns drives the real CLI against the fake API through successful turns.
func TestRealCLITurns(t *testing.T) {
	api := testkit.NewFakeAPI(t)

	t.Run("result carries the fake's text and usage", func(t *testing.T) {
		api.Reset()
		api.SetUsage(testkit.Usage{InputTokens: 101, OutputTokens: 23, CacheReadInputTokens: 7, CacheCreationInputTokens: 5})
		defer api.SetUsage(testkit.DefaultUsage())
		p := start(t, realConfig(t, api), newSpec(t))
		evs, res := mustSucceed(t, p, "hello there")
		if res.Text != "echo: hello there" {
			t.Errorf("Text = %q", res.Text)
		}
		want := Usage{InputTokens: 101, OutputTokens: 23, CacheReadInputTokens: 7, CacheCreationInputTokens: 5}
		if res.Usage != want {
			t.Errorf("Usage = %+v, want %+v", res.Usage, want)
		}
		if res.SessionID != p.SessionID() || res.StopReason != "end_turn" || res.TerminalReason != "completed" {
			t.Errorf("Result = %+v, session %s", res, p.SessionID())
		}
		if _, ok := evs[0].(Init); !ok {
			t.Errorf("first event = %T, want Init", evs[0])
		}
	})

	t.Run("deltas arrive in order", func(t *testing.T) {
		chunks := []string{"one ", "two ", "three ", "four ", "five"}
		api.SetReply(func(*testkit.Request) testkit.Reply { return testkit.Reply{Chunks: chunks} })
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		evs, res := mustSucceed(t, p, "count")
		if got := deltas(evs); !reflect.DeepEqual(got, chunks) {
			t.Errorf("deltas = %q, want %q", got, chunks)
		}
		if res.Text != strings.Join(chunks, "") {
			t.Errorf("Text = %q", res.Text)
		}
	})

	t.Run("request carries system prompt, model, max_tokens and temperature", func(t *testing.T) {
		api.Reset()
		spec := newSpec(t)
		spec.Model = "claude-sonnet-4-5" // a model for which the CLI enables thinking
		spec.SystemPrompt = "SYSTEM-MARKER-42: answer tersely."
		spec.MaxTokens = 1234
		temp := 0.3
		spec.Temperature = &temp
		p := start(t, realConfig(t, api), spec)
		mustSucceed(t, p, "hi")
		reqs := api.Requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		r := reqs[0]
		if !strings.Contains(r.System, "SYSTEM-MARKER-42: answer tersely.") {
			t.Errorf("system = %q", r.System)
		}
		if r.Model != "claude-sonnet-4-5" || r.MaxTokens != 1234 {
			t.Errorf("model %q max_tokens %d", r.Model, r.MaxTokens)
		}
		if r.Temperature == nil || *r.Temperature != 0.3 {
			t.Errorf("temperature = %v", r.Temperature)
		}
		if th := string(r.Thinking); th != "" && !strings.Contains(th, `"disabled"`) {
			t.Errorf("thinking = %s with a temperature set", th)
		}
	})

	t.Run("two turns share one process and history", func(t *testing.T) {
		api.Reset()
		p := start(t, realConfig(t, api), newSpec(t))
		mustSucceed(t, p, "first question")
		_, res := mustSucceed(t, p, "second question")
		if res.Text != "echo: second question" {
			t.Errorf("Text = %q", res.Text)
		}
		reqs := api.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		raw := string(reqs[1].Raw)
		if !strings.Contains(raw, "first question") || !strings.Contains(raw, "echo: first question") {
			t.Errorf("second request lacks the first turn: %.400s", raw)
		}
	})

	t.Run("slash commands and @file reach the API verbatim", func(t *testing.T) {
		api.Reset()
		p := start(t, realConfig(t, api), newSpec(t))
		passwd, err := os.ReadFile("/etc/passwd")
		if err != nil {
			t.Fatal(err)
		}
		firstLine := strings.SplitN(string(passwd), "\n", 2)[0]
		for _, text := range []string{"/model evil", "@/etc/passwd what is in this file?"} {
			_, res := mustSucceed(t, p, text)
			if res.Text != "echo: "+text {
				t.Errorf("Text = %q", res.Text)
			}
		}
		reqs := api.Requests()
		if len(reqs) != 2 {
			t.Fatalf("%d requests, want 2", len(reqs))
		}
		for i, want := range []string{"/model evil", "@/etc/passwd what is in this file?"} {
			if got := reqs[i].LastUserText(); got != want {
				t.Errorf("request %d user text = %q, want %q", i, got, want)
			}
			if reqs[i].Model != "claude-test-model" {
				t.Errorf("request %d model = %q: /model took effect", i, reqs[i].Model)
			}
			if strings.Contains(string(reqs[i].Raw), firstLine) {
				t.Errorf("request %d carries /etc/passwd content", i)
			}
		}
	})

	t.Run("resume after close sends earlier turns", func(t *testing.T) {
		api.Reset()
		spec := newSpec(t)
		p := start(t, realConfig(t, api), spec)
		mustSucceed(t, p, "remember the word banana")
		id := p.SessionID()
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(TranscriptPath(spec.ConfigDir, spec.WorkDir, id)); err != nil {
			t.Fatalf("transcript: %v", err)
		}
		spec.SessionID, spec.Resume = id, true
		p2 := start(t, realConfig(t, api), spec)
		_, res := mustSucceed(t, p2, "which word?")
		if res.SessionID != id {
			t.Errorf("resumed session id = %q, want %q", res.SessionID, id)
		}
		reqs := api.Requests()
		if raw := string(reqs[len(reqs)-1].Raw); !strings.Contains(raw, "remember the word banana") {
			t.Errorf("resumed request lacks the earlier turn: %.400s", raw)
		}
	})

	t.Run("transcript path with symlinked long workdir", func(t *testing.T) {
		spec := newSpec(t)
		real := filepath.Join(spec.WorkDir, "a.b_c d+e~"+strings.Repeat("x", 220))
		if err := os.Mkdir(real, 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		spec.WorkDir = link
		p := start(t, realConfig(t, api), spec)
		mustSucceed(t, p, "hi")
		path := TranscriptPath(spec.ConfigDir, spec.WorkDir, p.SessionID())
		if _, err := os.Stat(path); err != nil {
			got, _ := filepath.Glob(filepath.Join(spec.ConfigDir, "projects", "*", "*.jsonl"))
			t.Errorf("TranscriptPath = %s: %v; the CLI wrote %q", path, err, got)
		}
	})

	t.Run("second turn while busy is refused", func(t *testing.T) {
		api.SetReply(func(*testkit.Request) testkit.Reply {
			return testkit.Reply{Text: "slow answer", FirstByteDelay: 500 * time.Millisecond}
		})
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		ch, err := p.Turn(context.Background(), "one")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Turn(context.Background(), "two"); ClassOf(err) != ClassProcessBusy {
			t.Errorf("second Turn error = %v, want process_busy", err)
		}
		if _, res, e := collect(t, ch, 30*time.Second); res == nil {
			t.Errorf("first turn failed: %v", e)
		}
	})

	t.Run("interrupt keeps the process usable", func(t *testing.T) {
		api.SetReply(func(r *testkit.Request) testkit.Reply {
			if r.LastUserText() == "stall" {
				return testkit.Reply{Text: "a b c d", Stall: true}
			}
			return testkit.Reply{Text: "fine"}
		})
		defer api.SetReply(nil)
		p := start(t, realConfig(t, api), newSpec(t))
		ch, err := p.Turn(context.Background(), "stall")
		if err != nil {
			t.Fatal(err)
		}
		for ev := range ch {
			if _, ok := ev.(TextDelta); ok {
				break
			}
		}
		if err := p.Interrupt(context.Background()); err != nil {
			t.Fatalf("Interrupt: %v", err)
		}
		_, _, e := collect(t, ch, 10*time.Second)
		if e == nil || e.Class != ClassInterrupted {
			t.Fatalf("interrupted turn error = %v, want interrupted", e)
		}
		if e.Usage.InputTokens != testkit.DefaultUsage().InputTokens || e.CostUSD <= 0 {
			t.Errorf("interrupted turn Usage %+v, CostUSD %v: want message_start's input tokens", e.Usage, e.CostUSD)
		}
		if _, res := mustSucceed(t, p, "after"); res.Text != "fine" {
			t.Errorf("Text after interrupt = %q", res.Text)
		}
	})

	t.Run("probe reports the version", func(t *testing.T) {
		v, err := Probe(context.Background(), realConfig(t, api))
		if err != nil || !strings.HasPrefix(v, "2.") {
			t.Errorf("Probe = %q, %v", v, err)
		}
	})
}
