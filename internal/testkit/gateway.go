package testkit

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// AdminPassword is the password of the local admin user `admin` of every gateway
// StartGateway runs.
const AdminPassword = "testkit-admin-password"

// Gateway is a real `ccgateway serve` process for end-to-end tests: the binary
// built from this module, its own data dir (SQLite), the real Claude CLI and a
// fake Anthropic API.
type Gateway struct {
	// URL reaches the gateway through a proxy that checks every response against
	// the committed spec (see Conformance); the test fails at cleanup on a
	// finding that openapi/lint/known-findings.txt does not list.
	URL string
	// Direct is the gateway's own address, unchecked.
	Direct string
	Fake   *FakeAPI
	Dir    string
	logs   *SyncBuffer
}

// Logs returns what the gateway wrote to stderr so far.
func (g *Gateway) Logs() string { return g.logs.String() }

var gatewayBuild = sync.OnceValues(func() (string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "ccgateway-e2e-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "ccgateway")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ccgateway")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("testkit: go build: %v\n%s", err, out)
	}
	return bin, nil
})

// GatewayBinary builds ./cmd/ccgateway once per test binary and returns its path.
func GatewayBinary(t testing.TB) string {
	t.Helper()
	bin, err := gatewayBuild()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// StartGateway runs `ccgateway serve` on a free loopback port and waits until it
// answers /healthz. extraEnv adds CCGATEWAY_* settings. The process gets SIGTERM
// (then SIGKILL) at cleanup.
func StartGateway(t testing.TB, extraEnv ...string) *Gateway {
	t.Helper()
	g := &Gateway{Fake: NewFakeAPI(t), Dir: t.TempDir(), logs: &SyncBuffer{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	env := make([]string, 0, len(os.Environ())+8)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CCGATEWAY_") {
			env = append(env, kv)
		}
	}
	env = append(env, g.Fake.Env()...)
	env = append(env, "CCGATEWAY_CLAUDE_PATH="+ClaudePath(t), "CCGATEWAY_ADMIN_PASSWORD="+AdminPassword,
		"CCGATEWAY_DATA_DIR="+g.Dir, "CCGATEWAY_LISTEN="+addr)
	env = append(env, extraEnv...)
	cmd := exec.Command(GatewayBinary(t), "serve")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = g.logs, g.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	g.Direct = "http://" + addr
	g.URL = g.checkedProxy(t)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		select {
		case <-exited:
			t.Fatalf("testkit: ccgateway serve exited:\n%s", g.logs.String())
		default:
		}
		if resp, err := http.Get(g.Direct + "/healthz"); err == nil {
			resp.Body.Close()
			return g
		}
	}
	t.Fatalf("testkit: ccgateway serve did not come up:\n%s", g.logs.String())
	return nil
}

// checkedProxy starts a reverse proxy to the gateway that validates responses.
func (g *Gateway) checkedProxy(t testing.TB) string {
	t.Helper()
	conf, err := SpecConformance()
	if err != nil {
		t.Fatal(err)
	}
	target, err := url.Parse(g.Direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // pass event streams through as they come
	srv := httptest.NewServer(conf.Wrap(proxy))
	t.Cleanup(func() {
		srv.Close()
		fresh, err := conf.NewFindings()
		if err != nil {
			t.Error(err)
		}
		for _, f := range fresh {
			t.Errorf("a response differs from the spec: %s", f)
		}
	})
	return srv.URL
}

// SyncBuffer collects log output and is safe for concurrent writes (a child
// process's stderr, a logger shared by goroutines).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
