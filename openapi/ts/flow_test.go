package ts_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestTypeScriptClient type-checks the TypeScript client and its tests (tsc
// --noEmit), then runs its live suite (test/flow.live.ts: the generated client, the
// streaming helper and the Vercel AI SDK's OpenAI provider) against a real
// `ccgateway serve` with the real CLI and the fake Anthropic API, through the proxy
// that checks every response against the spec. Without openapi/ts/node_modules
// (`make ts-deps`) it fails.
func TestTypeScriptClient(t *testing.T) {
	for _, bin := range []string{"tsc", "vitest"} {
		if _, err := os.Stat("node_modules/.bin/" + bin); err != nil {
			t.Fatalf("openapi/ts/node_modules is missing %s: run `make ts-deps` (%v)", bin, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "node_modules/.bin/tsc", "--noEmit", "-p", ".").CombinedOutput(); err != nil {
		t.Fatalf("tsc --noEmit: %v\n%s", err, out)
	}

	g := testkit.StartGateway(t, "CCGATEWAY_USAGE_FLUSH_INTERVAL=200ms", "CCGATEWAY_LOG_LEVEL=warn")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gateway log:\n%s", g.Logs())
		}
	})
	suite := exec.CommandContext(ctx, "node_modules/.bin/vitest", "run", "--config", "vitest.live.config.ts")
	suite.Env = append(os.Environ(), "GATEWAY_URL="+g.URL, "ADMIN_PASSWORD="+testkit.AdminPassword)
	suite.Stdout, suite.Stderr = os.Stdout, os.Stderr
	// Its own process group: Vitest's workers go with it, also on a timeout.
	suite.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	suite.Cancel = func() error { return syscall.Kill(-suite.Process.Pid, syscall.SIGKILL) }
	err := suite.Run()
	if suite.Process != nil {
		_ = syscall.Kill(-suite.Process.Pid, syscall.SIGKILL) // whatever outlived the suite
	}
	if err != nil {
		t.Fatalf("the TypeScript suite failed: %v", err)
	}

	// What only this side can see: the conversation's system prompt and the AI
	// SDK's system message reached the model.
	var systems []string
	for _, r := range g.Fake.Requests() {
		systems = append(systems, r.System)
	}
	all := strings.Join(systems, "\n")
	for _, want := range []string{"Be brief, TypeScript.", "Answer in one line."} {
		if !strings.Contains(all, want) {
			t.Errorf("the system prompt %q did not reach the model", want)
		}
	}
}
