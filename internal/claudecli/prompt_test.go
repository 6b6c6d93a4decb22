package claudecli

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestSystemPromptNeverInArgv replays issue 13 items 8 and 14 with the real CLI:
// a 150 KB CJK system prompt (over the kernel's 128 KiB per argument, under 65,536
// characters) broke execve, and any prompt was visible to every local user in ps.
// The prompt now goes through a 0600 file in the tenant's config dir: it reaches
// the API whole, never appears in the process's argv, and the file is gone once
// the process exits.
func TestSystemPromptNeverInArgv(t *testing.T) {
	api := testkit.NewFakeAPI(t)
	spec := newSpec(t)
	marker := "PROMPT-MARKER-77 --model evil "
	spec.SystemPrompt = marker + strings.Repeat("漢字かな", 12500) // 150,030 bytes, 50,007 characters
	if len(spec.SystemPrompt) <= 128<<10 {
		t.Fatalf("prompt is %d bytes: not over the argv limit", len(spec.SystemPrompt))
	}
	p := start(t, realConfig(t, api), spec)
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(p.Pid()) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(cmdline), "PROMPT-MARKER-77") {
		t.Fatal("the system prompt is in the process's argv")
	}
	file := filepath.Join(spec.ConfigDir, promptDir, p.SessionID()+".txt")
	if !strings.Contains(string(cmdline), file) {
		t.Fatalf("argv does not name the prompt file %s: %q", file, cmdline)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("prompt file: %v %v, want mode 0600", fi, err)
	}
	if fi, err := os.Stat(filepath.Dir(file)); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("prompt dir: %v %v, want mode 0700", fi, err)
	}
	mustSucceed(t, p, "hi")
	reqs := api.Requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].System, spec.SystemPrompt) {
		t.Fatalf("the API did not get the whole system prompt (%d requests)", len(reqs))
	}
	p.Close()
	<-p.Done()
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Fatalf("prompt file left behind: %v", err)
	}
}

// TestSystemPromptLimits: limits are in bytes, and a NUL byte is refused before
// any process starts.
func TestSystemPromptLimits(t *testing.T) {
	for _, tt := range []struct {
		name, prompt string
		ok           bool
	}{
		{"empty", "", true},
		{"at the limit", strings.Repeat("a", MaxSystemPromptBytes), true},
		{"over the limit in bytes, under it in characters", strings.Repeat("漢", MaxSystemPromptBytes/3+1), false},
		{"NUL", "be terse\x00--model x", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			spec := Spec{ConfigDir: "/tmp/c", WorkDir: "/tmp/w", SystemPrompt: tt.prompt}
			if err := spec.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate: %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// TestTemperatureDisablesThinkingOnEveryModel replays issue 13 item 18 with the
// real CLI: with a temperature set, the upstream body still carried
// {"type":"adaptive"} thinking on the default model and the opus/sonnet aliases
// (MAX_THINKING_TOKENS=0 does not turn adaptive thinking off), which the API
// refuses with a temperature. Every model must send thinking disabled.
func TestTemperatureDisablesThinkingOnEveryModel(t *testing.T) {
	api := testkit.NewFakeAPI(t)
	for _, model := range []string{"", "opus", "sonnet", "claude-sonnet-4-5"} {
		t.Run("model "+model, func(t *testing.T) {
			api.Reset()
			spec := newSpec(t)
			spec.Model = model
			temp := 0.2
			spec.Temperature = &temp
			p := start(t, realConfig(t, api), spec)
			mustSucceed(t, p, "hi")
			reqs := api.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.Temperature == nil || *r.Temperature != 0.2 {
				t.Errorf("temperature = %v", r.Temperature)
			}
			if th := strings.ReplaceAll(string(r.Thinking), " ", ""); th != `{"type":"disabled"}` {
				t.Errorf("model %s: thinking = %s with a temperature set, want disabled", r.Model, r.Thinking)
			}
		})
	}
}
