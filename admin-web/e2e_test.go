package adminweb_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestConsoleEndToEnd builds the gateway binary with the console embedded, serves
// it with the real Claude CLI against the fake Anthropic API, and runs the
// browser suite (admin-web/e2e, Vitest + playwright-core) in Debian's headless
// Chromium against it. With SCREENSHOT_DIR set it also writes the screenshots.
// Outside CI it skips when the console is not built or Chromium is missing; in CI
// (CI=true) those fail.
func TestConsoleEndToEnd(t *testing.T) {
	chromium := need(t, "chromium (apt-get install chromium)", func() (string, error) {
		if p := os.Getenv("CHROMIUM_PATH"); p != "" {
			return p, nil
		}
		return exec.LookPath("chromium")
	})
	need(t, "the built console (make build)", func() (string, error) { return "dist/index.html", statErr("dist/index.html") })
	need(t, "admin-web/node_modules (npm ci)", func() (string, error) { return "", statErr("node_modules/.bin/vitest") })
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	fake := testkit.NewFakeAPI(t)
	claude := testkit.ClaudePath(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "ccgateway")
	build := exec.Command("go", "build", "-o", bin, "./cmd/ccgateway")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	password := "e2e-" + fmt.Sprint(time.Now().UnixNano())
	gw := exec.Command(bin, "serve")
	gw.Env = append(os.Environ(), fake.Env()...)
	gw.Env = append(gw.Env,
		"CCGATEWAY_LISTEN="+addr, "CCGATEWAY_DATA_DIR="+filepath.Join(dir, "data"),
		"CCGATEWAY_ADMIN_PASSWORD="+password, "CCGATEWAY_CLAUDE_PATH="+claude,
		"CCGATEWAY_USAGE_FLUSH_INTERVAL=200ms", "CCGATEWAY_LOG_LEVEL=warn",
	)
	logs, err := os.Create(filepath.Join(dir, "gateway.log"))
	if err != nil {
		t.Fatal(err)
	}
	gw.Stdout, gw.Stderr = logs, logs
	gw.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = gw.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = gw.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = syscall.Kill(-gw.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logs.Name())
			t.Logf("gateway log:\n%s", b)
		}
	})
	url := "http://" + addr
	waitHealthy(t, url)

	files := []string{"e2e/console.e2e.ts"}
	if os.Getenv("SCREENSHOT_DIR") != "" {
		files = append(files, "e2e/screenshots.e2e.ts")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	suite := exec.CommandContext(ctx, "node_modules/.bin/vitest", append([]string{"run", "--config", "vitest.e2e.config.ts"}, files...)...)
	suite.Env = append(os.Environ(),
		"GATEWAY_URL="+url, "ADMIN_PASSWORD="+password, "CHROMIUM_PATH="+chromium,
		"POLICY_WASM="+filepath.Join(root, "policies", "bundled", "timewindow.wasm"),
	)
	suite.Stdout, suite.Stderr = os.Stdout, os.Stderr
	// Its own process group: Chromium and Vitest's workers go with it, also on a timeout.
	suite.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	suite.Cancel = func() error { return syscall.Kill(-suite.Process.Pid, syscall.SIGKILL) }
	start := time.Now()
	err = suite.Run()
	if suite.Process != nil {
		_ = syscall.Kill(-suite.Process.Pid, syscall.SIGKILL) // whatever outlived the suite
	}
	if err != nil {
		t.Fatalf("the browser suite failed: %v", err)
	}
	t.Logf("browser suite passed in %s", time.Since(start).Round(time.Millisecond))
}

// need returns what find finds; without it the test skips, or fails in CI.
func need(t *testing.T, what string, find func() (string, error)) string {
	t.Helper()
	v, err := find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("missing %s: %v", what, err)
		}
		t.Skipf("missing %s: %v", what, err)
	}
	return v
}

func statErr(p string) error {
	_, err := os.Stat(p)
	return err
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitHealthy(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(url + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the gateway at %s did not become healthy", url)
}
