package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// binary builds ccgateway once per test run (the test kit's build, shared with the
// other packages' gateway tests).
func binary(t testing.TB) string {
	t.Helper()
	return testkit.GatewayBinary(t)
}

// createKey runs `ccgateway keys create --json` on a data dir and returns the key.
func createKey(t *testing.T, data string) newKeyJSON {
	t.Helper()
	out, err := exec.Command(binary(t), "keys", "create", "--name", "t", "--json", "--data-dir", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	var k newKeyJSON
	if err := json.Unmarshal(out, &k); err != nil || k.Key == "" {
		t.Fatalf("keys create --json printed %q: %v", out, err)
	}
	return k
}

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// baseEnv is the environment for a gateway under test: the fake API's variables
// for the CLI, and no CCGATEWAY_* from the outside.
func baseEnv(fake *testkit.FakeAPI, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CCGATEWAY_") {
			env = append(env, kv)
		}
	}
	env = append(env, fake.Env()...)
	return append(env, extra...)
}

func TestKeysCreateAndList(t *testing.T) {
	bin := binary(t)
	data := t.TempDir()
	out, err := exec.Command(bin, "keys", "create", "--name", "alice", "--json", "--data-dir", data).Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	var k newKeyJSON
	if err := json.Unmarshal(out, &k); err != nil {
		t.Fatalf("keys create --json printed %q: %v", out, err)
	}
	if !strings.HasPrefix(k.Key, "sk-ccg-") || k.Name != "alice" || k.ID == "" || k.Status != "active" {
		t.Fatalf("new key %+v", k)
	}
	list, err := exec.Command(bin, "keys", "list", "--data-dir", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(list), "alice") || !strings.Contains(string(list), k.ID) {
		t.Errorf("list does not show the key:\n%s", list)
	}
	if strings.Contains(string(list), k.Key) {
		t.Error("keys list shows the secret")
	}
}

func TestServeHelpListsSettings(t *testing.T) {
	out, _ := exec.Command(binary(t), "serve", "--help").CombinedOutput()
	for _, want := range []string{"-listen", "CCGATEWAY_LISTEN", "-database-url", "CCGATEWAY_CLAUDE_PATH", "CCGATEWAY_ADMIN_PASSWORD_FILE"} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("serve --help does not mention %s", want)
		}
	}
}

// startServe runs `ccgateway serve` and waits until it answers /healthz.
func startServe(t testing.TB, env []string, args ...string) (*exec.Cmd, string, *bytes.Buffer) {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(binary(t), append([]string{"serve", "--listen", addr}, args...)...)
	cmd.Env = env
	var logs bytes.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopServe(cmd) })
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			return cmd, "http://" + addr, &logs
		}
	}
	t.Fatalf("serve did not come up:\n%s", logs.String())
	return nil, "", nil
}

// cliProcessesUnder lists live processes whose working directory is inside dir:
// the CLI runs in its tenant's workspace under the data dir.
func cliProcessesUnder(dir string) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		var pid int
		if _, err := fmt.Sscanf(e.Name(), "%d", &pid); err != nil {
			continue
		}
		cwd, err := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		if err == nil && strings.HasPrefix(cwd, dir) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestShutdownLeavesNoChildProcess(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	// A slow reply: 40 chunks, 250 ms apart, so the turn is still running at SIGTERM.
	fake.SetReply(func(*testkit.Request) testkit.Reply {
		chunks := make([]string, 40)
		for i := range chunks {
			chunks[i] = fmt.Sprintf("w%d ", i)
		}
		return testkit.Reply{Chunks: chunks, ChunkDelay: 250 * time.Millisecond}
	})
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	k := createKey(t, data)
	cmd, base, logs := startServe(t, env, "--data-dir", data, "--shutdown-timeout", "1s")

	req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(`{"message":"slow","stream":true}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before a delta: %v\n%s", err, logs)
		}
		if strings.HasPrefix(line, "event: delta") {
			break
		}
	}
	if len(cliProcessesUnder(data)) == 0 {
		t.Fatal("no CLI process found under the data dir while a turn runs")
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, logs)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("serve did not exit after SIGTERM\n%s", logs)
	}
	rest, _ := io.ReadAll(rd)
	if !strings.Contains(string(rest), "event: error") {
		t.Errorf("the cut-short stream did not end with an error event: %q", rest)
	}
	if pids := cliProcessesUnder(data); len(pids) > 0 {
		t.Fatalf("CLI processes %v survived the gateway", pids)
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	cmd := exec.CommandContext(context.Background(), binary(t), "serve", "--listen", "nope", "--cli-max-retries", "99")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("serve started with a bad config")
	}
	for _, want := range []string{"listen", "cli-max-retries"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error output does not name %s:\n%s", want, out)
		}
	}
}

func TestSecondServeOnOneDataDirIsRefused(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	startServe(t, env, "--data-dir", data, "--prewarm", "1")
	// Wait for the first instance's spare CLI process, which lives in the data dir.
	for deadline := time.Now().Add(20 * time.Second); len(cliProcessesUnder(data)) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the first instance started no spare process")
		}
	}
	before := cliProcessesUnder(data)
	cmd := exec.Command(binary(t), "serve", "--data-dir", data, "--listen", freeAddr(t))
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "in use by another ccgateway") {
		t.Fatalf("second serve: err %v, output:\n%s", err, out)
	}
	for _, pid := range before {
		if syscall.Kill(pid, 0) != nil {
			t.Errorf("the first instance's CLI process %d is gone", pid)
		}
		if cwd, err := os.Readlink(filepath.Join("/proc", fmt.Sprint(pid), "cwd")); err != nil || strings.HasSuffix(cwd, "(deleted)") {
			t.Errorf("the first instance's CLI process %d lost its workspace (%q, %v)", pid, cwd, err)
		}
	}
}

func TestHelpListsCommands(t *testing.T) {
	out, err := exec.Command(binary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("--help: %v\n%s", err, out)
	}
	for _, c := range commands {
		if !bytes.Contains(out, []byte(c.name)) {
			t.Errorf("--help does not list %s:\n%s", c.name, out)
		}
	}
}

// stopServe ends a gateway the way an operator does, with SIGTERM, so that it
// ends its CLI processes; SIGKILL only if it does not exit.
func stopServe(cmd *exec.Cmd) {
	if cmd.ProcessState != nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// TestServeMetricsListen: with metrics-listen, /metrics is served there without
// authentication (and not on the main listener); an admitted chat (which runs the
// policy chain but no CLI turn) shows in it, so the observer is wired.
func TestServeMetricsListen(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	k := createKey(t, data)
	metricsAddr := freeAddr(t)
	_, base, logs := startServe(t, env, "--data-dir", data, "--prewarm", "0", "--metrics-listen", metricsAddr)

	req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(`{"message":"hi","conversation_id":"00000000-0000-4000-8000-000000000000"}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("chat on an unknown conversation: %d, want 404 (admitted)\n%s", resp.StatusCode, logs)
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/metrics on the main listener: %d, want 404", resp.StatusCode)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics on metrics-listen: %d", resp.StatusCode)
	}
	for _, want := range []string{
		`ccgateway_policy_chain_decisions_total{allow="true",code="",policy=""} 1`,
		`ccgateway_policy_decisions_total{allow="true",code="",policy="permissions"} 1`,
		`ccgateway_http_requests_total{method="POST",route="/api/chat",status="404"} 1`,
		`ccgateway_cli_max_processes 10`,
		`ccgateway_cli_processes{state="busy"} 0`,
		`target_info{`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
