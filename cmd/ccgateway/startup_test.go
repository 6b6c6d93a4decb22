package main

import (
	"os"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestStartupWarnsWithoutCLICredentials: a gateway whose environment gives the
// CLI no credentials says so in its log at start, not only on /readyz.
func TestStartupWarnsWithoutCLICredentials(t *testing.T) {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CCGATEWAY_") && !strings.HasPrefix(kv, "ANTHROPIC_") && !strings.HasPrefix(kv, "CLAUDE_CODE_OAUTH_TOKEN") {
			env = append(env, kv)
		}
	}
	env = append(env, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	cmd, _, logs := startServe(t, env, "--data-dir", t.TempDir(), "--prewarm", "0")
	stopServe(cmd) // the notes are logged before serve waits for its signal
	if !strings.Contains(logs.String(), "no CLI credentials") || !strings.Contains(logs.String(), "setup-token") ||
		!strings.Contains(logs.String(), "admin console") {
		t.Fatalf("no credentials warning in the log:\n%s", logs)
	}

	fake := testkit.NewFakeAPI(t)
	cmd, _, logs = startServe(t, baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t)), "--data-dir", t.TempDir(), "--prewarm", "0")
	stopServe(cmd)
	if strings.Contains(logs.String(), "no CLI credentials") {
		t.Fatalf("credentials warning with ANTHROPIC_API_KEY set:\n%s", logs)
	}
}
