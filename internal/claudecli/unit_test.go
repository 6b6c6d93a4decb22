package claudecli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestResultClassification(t *testing.T) {
	tests := []struct {
		name      string
		assistant string // the synthetic assistant line, if any
		result    string
		want      Class
		status    int
	}{
		{"not logged in", "", `{"type":"result","subtype":"success","is_error":true,"result":"Not logged in · Please run /login","terminal_reason":"api_error","api_error_status":null}`, ClassNotLoggedIn, 0},
		{"401", `{"type":"assistant","error":"authentication_failed","api_error_status":401,"message":{"model":"<synthetic>"}}`,
			`{"type":"result","subtype":"success","is_error":true,"result":"Failed to authenticate","terminal_reason":"api_error","api_error_status":401}`, ClassAuthFailed, 401},
		{"429 from the synthetic line only", `{"type":"assistant","error":"rate_limit","api_error_status":429,"message":{"model":"<synthetic>"}}`,
			`{"type":"result","subtype":"success","is_error":true,"result":"API Error","terminal_reason":"api_error"}`, ClassRateLimited, 429},
		{"overloaded by code", `{"type":"assistant","error":"overloaded","message":{"model":"<synthetic>"}}`,
			`{"type":"result","subtype":"success","is_error":true,"result":"API Error"}`, ClassOverloaded, 0},
		{"529", "", `{"type":"result","subtype":"success","is_error":true,"api_error_status":529}`, ClassOverloaded, 529},
		{"503", "", `{"type":"result","subtype":"success","is_error":true,"api_error_status":503}`, ClassUpstreamError, 503},
		{"interrupted", "", `{"type":"result","subtype":"error_during_execution","is_error":false,"terminal_reason":"aborted_streaming"}`, ClassInterrupted, 0},
		{"max turns", "", `{"type":"result","subtype":"error_max_turns","is_error":true}`, ClassUpstreamError, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st turnState
			if tc.assistant != "" {
				m, ok := decodeLine([]byte(tc.assistant))
				if !ok || !m.synthetic() {
					t.Fatalf("assistant line not synthetic")
				}
				(&Process{}).observe(&m, &st)
			}
			m, ok := decodeLine([]byte(tc.result))
			if !ok || !m.failed() {
				t.Fatalf("result line not failed")
			}
			e := (&Process{}).resultError(&m, &st, 0)
			if e.Class != tc.want || e.Status != tc.status {
				t.Errorf("got %s/%d, want %s/%d", e.Class, e.Status, tc.want, tc.status)
			}
			var target *Error
			if !errors.As(fmt.Errorf("wrapped: %w", e), &target) {
				t.Error("errors.As failed")
			}
		})
	}
	t.Run("success is not failed", func(t *testing.T) {
		m, _ := decodeLine([]byte(`{"type":"result","subtype":"success","is_error":false,"terminal_reason":"completed"}`))
		if m.failed() {
			t.Error("failed() = true")
		}
	})
	t.Run("non-JSON lines are ignored", func(t *testing.T) {
		for _, l := range []string{"", "hello", "[1]", `{"x":1}`, `{"type":`} {
			if _, ok := decodeLine([]byte(l)); ok {
				t.Errorf("decodeLine(%q) ok", l)
			}
		}
	})
}

func TestProjectDirName(t *testing.T) {
	long := "/tmp/TestExplore3356660540/002/" + strings.Repeat("x", 230)
	tests := []struct{ cwd, want string }{
		{"/tmp/TestExplore548019039/002", "-tmp-TestExplore548019039-002"},
		{"/tmp/T/002/a.b_c d+e@f~g", "-tmp-T-002-a-b-c-d-e-f-g"},
		// Measured with the real CLI 2.1.332.
		{long, strings.ReplaceAll(long, "/", "-")[:200] + "-mrk1tc"},
	}
	for _, tc := range tests {
		if got := projectDirName(tc.cwd); got != tc.want {
			t.Errorf("projectDirName(%q) = %q, want %q", tc.cwd, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{MaxRetries: 16},
		{Watchdog: -time.Second},
		{PassEnv: []string{"CCGATEWAY_ADMIN_PASSWORD"}},
		{PassEnv: []string{"A=B"}},
	}
	for _, c := range bad {
		if c.Validate() == nil {
			t.Errorf("Validate(%+v) = nil", c)
		}
	}
	if err := (Config{PassEnv: []string{"FOO"}}).Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	dir := t.TempDir()
	for _, s := range []Spec{
		{ConfigDir: "rel", WorkDir: dir},
		{ConfigDir: dir, WorkDir: dir, SessionID: "not-a-uuid"},
		{ConfigDir: dir, WorkDir: dir, Resume: true},
		{ConfigDir: dir, WorkDir: dir, Tools: []string{"Bash,Edit"}},
	} {
		if s.Validate() == nil {
			t.Errorf("Spec.Validate(%+v) = nil", s)
		}
	}
}

func TestEnvAndArgs(t *testing.T) {
	cfg := Config{Env: []string{"PATH=/bin", "CCGATEWAY_X=1", "SECRET=2", "FOO=3", "ANTHROPIC_API_KEY=k"}, PassEnv: []string{"FOO"}}.withDefaults()
	env := strings.Join(buildEnv(cfg, Spec{ConfigDir: "/c"}), " ")
	for _, want := range []string{"PATH=/bin", "FOO=3", "ANTHROPIC_API_KEY=k", "HOME=/c", "CLAUDE_CONFIG_DIR=/c", "CLAUDE_CODE_MAX_RETRIES=2"} {
		if !strings.Contains(env, want) {
			t.Errorf("env lacks %s: %s", want, env)
		}
	}
	if strings.Contains(env, "CCGATEWAY_") || strings.Contains(env, "SECRET") {
		t.Errorf("env leaks: %s", env)
	}
	args := buildArgs(Spec{Model: "m", Tools: []string{"Read", "Edit"}}, "id", "")
	if got := strings.Join(args, " "); !strings.Contains(got, "--tools Read,Edit") || !strings.HasSuffix(got, "--model m --session-id id") || strings.Contains(got, "--bare") {
		t.Errorf("args = %q", got)
	}
	if !CredentialsConfigured([]string{"CLAUDE_CODE_OAUTH_TOKEN=t"}) || CredentialsConfigured([]string{"ANTHROPIC_API_KEY="}) {
		t.Error("CredentialsConfigured")
	}
	if got := redact("key sk-ant-abc123 and tok9999 Bearer abcdefghij", []string{"CLAUDE_CODE_OAUTH_TOKEN=tok9999"}); strings.Contains(got, "abc123") || strings.Contains(got, "tok9999") || strings.Contains(got, "abcdefghij") {
		t.Errorf("redact = %q", got)
	}
}

func TestPrepareConfigDirSeedsOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tenant")
	for range 2 {
		if err := prepareConfigDir(dir); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ".claude.json"))
	if err != nil || !strings.Contains(string(b), "hasCompletedOnboarding") {
		t.Errorf(".claude.json = %q, %v", b, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("config dir holds %d entries, want 1", len(entries))
	}
}

func ExampleTranscriptPath() {
	fmt.Println(TranscriptPath("/var/lib/ccgateway/tenants/t1", "/nonexistent/work/t1.conv", "0b9c2f6e-64f5-4a2c-9d0b-3f2a1c5e7d88"))
	// Output: /var/lib/ccgateway/tenants/t1/projects/-nonexistent-work-t1-conv/0b9c2f6e-64f5-4a2c-9d0b-3f2a1c5e7d88.jsonl
}
