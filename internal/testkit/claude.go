package testkit

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// ClaudePathEnv names the environment variable that overrides where tests find the
// real Claude CLI.
const ClaudePathEnv = "CCGATEWAY_TEST_CLAUDE"

// ClaudePath returns the real Claude CLI for tests: $CCGATEWAY_TEST_CLAUDE, else
// <module root>/.tools/node_modules/.bin/claude. A missing CLI fails the test (it is
// never skipped): run `make tools` to install it.
func ClaudePath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv(ClaudePathEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("testkit: %s=%q: %v", ClaudePathEnv, p, err)
		}
		return p
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	p := filepath.Join(root, ".tools", "node_modules", ".bin", "claude")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testkit: the Claude CLI is not installed at %s: run `make tools` (or set %s)", p, ClaudePathEnv)
	}
	return p
}

// ModuleRoot returns the directory holding go.mod, searching up from the working
// directory (a test's working directory is its package directory).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}

// fakeClaudeBuild caches the fake claude build for the whole test binary: building
// once per test would cost a second or more each time.
var fakeClaudeBuild struct {
	once sync.Once
	dir  string
	path string
	out  []byte
	err  error
}

// FakeClaudeModeEnv names the variable that selects the fake claude's behaviour; a
// driver must pass it through (e.g. in claudecli.Config.PassEnv).
const FakeClaudeModeEnv = "FAKE_CLAUDE_MODE"

// Fake claude modes (values of FAKE_CLAUDE_MODE).
const (
	FakeModeEcho    = "echo"    // answer every turn with "fake: <text>" (the default)
	FakeModeCrash   = "crash"   // emit a delta, write to stderr, then exit 3 mid-turn
	FakeModeGarbage = "garbage" // interleave non-JSON and unknown lines, then answer
	FakeModeSilence = "silence" // read turns and control requests but never answer
	FakeModeSlow    = "slow"    // answer after FAKE_CLAUDE_DELAY (default 3s)
	FakeModeEnv     = "env"     // answer with the process environment, one var a line
)

// BuildFakeClaude builds internal/testkit/fakeclaude once per test binary and returns
// the path of the executable. The build lives in a temporary directory that outlives
// the test that built it; it is removed with the OS temp dir.
func BuildFakeClaude(t testing.TB) string {
	t.Helper()
	b := &fakeClaudeBuild
	b.once.Do(func() {
		root, err := ModuleRoot()
		if err != nil {
			b.err = err
			return
		}
		b.dir, b.err = os.MkdirTemp("", "fakeclaude-")
		if b.err != nil {
			return
		}
		b.path = filepath.Join(b.dir, "claude")
		cmd := exec.Command("go", "build", "-o", b.path, "./internal/testkit/fakeclaude")
		cmd.Dir = root
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		t.Fatalf("testkit: build fake claude: %v\n%s", b.err, b.out)
	}
	return b.path
}
