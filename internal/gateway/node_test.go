package gateway

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// nodeConfig is a node's settings for the assembly tests: its own data dir,
// no spare CLI process, a fixed admin-token secret.
func nodeConfig(t *testing.T) *config.Config {
	cfg := config.Defaults()
	cfg.DataDir = t.TempDir()
	cfg.Prewarm = 0
	cfg.JWTSecret = strings.Repeat("s", 32)
	return cfg
}

// nodeOptions are Start's options for the assembly tests: a CLI that is never
// started (none of these requests reaches it), no trace export.
func nodeOptions(logs io.Writer) Options {
	return Options{
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Version: "test",
		CLI:       &claudecli.Config{Path: "/nonexistent/claude"},
		Telemetry: &telemetry.Config{Version: "test"}, PolicyCacheDir: policyCacheDir(),
	}
}

// TestShutdownRecordsTheRequestInFlight: a request whose handler runs when
// the node is told to stop still gets its answer, and its usage event is in
// the store after Shutdown, although the writer flushes only at Shutdown: the
// HTTP server drains before the usage writer's final flush. A second Shutdown
// changes nothing.
func TestShutdownRecordsTheRequestInFlight(t *testing.T) {
	cfg := nodeConfig(t)
	cfg.UsageFlushInterval = time.Hour // the event can come only from the final flush
	ctx := context.Background()
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gen, err := auth.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k := &store.APIKey{ID: uuid.NewString(), Name: "in-flight", Prefix: gen.Prefix, Hash: gen.Hash, Status: store.KeyActive}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	opts := nodeOptions(logs)
	opts.Store, opts.NoPolicies = st, true
	n, err := Start(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- n.Server().Serve(ln) }()

	// The request's handler reads its body: the server sent 100 Continue.
	body := `{"message":"hi","model":"no-such-model"}`
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/chat HTTP/1.1\r\nHost: node\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", gen.Secret, len(body))
	br := bufio.NewReader(c)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != http.StatusContinue {
		t.Fatalf("before the body: %v %v", resp, err)
	}

	down := make(chan error, 1)
	go func() {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		down <- n.Shutdown(sctx)
	}()
	testkit.Eventually(t, 10*time.Second, "the listener closed", func() bool {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	fmt.Fprint(c, body)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 {
		t.Fatalf("answered %d, want a refusal", resp.StatusCode)
	}
	if err := <-down; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("serve returned %v", err)
	}
	evs, _, err := st.ListUsageEvents(ctx, store.UsageFilter{APIKeyID: k.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].StatusCode < 400 {
		t.Fatalf("%d usage events (%+v), want the refused request's one; log:\n%s", len(evs), evs, logs)
	}
	if err := n.Shutdown(ctx); err != nil {
		t.Errorf("second shutdown: %v", err)
	}
	if err := st.Ping(ctx); err != nil {
		t.Errorf("the node closed a store it was given: %v", err)
	}
}

// TestRetentionLoopSweepsUsageAndAudit: the node's one retention loop purges
// usage events and audit entries past their age at start (conversations and
// key directories: TestRetentionSweeperDeletesIdleConversations), and keeps
// the younger ones.
func TestRetentionLoopSweepsUsageAndAudit(t *testing.T) {
	t.Parallel()
	cfg := nodeConfig(t)
	cfg.UsageRetention, cfg.AuditRetention = time.Hour, time.Hour
	ctx := context.Background()
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now().UTC()
	for _, at := range []time.Time{now.Add(-2 * time.Hour), now} {
		ev := &store.UsageEvent{APIKeyID: "k", Timestamp: at, Endpoint: "/api/chat", Method: "POST", StatusCode: 200}
		if err := st.InsertUsageEvents(ctx, []*store.UsageEvent{ev}); err != nil {
			t.Fatal(err)
		}
		if err := st.InsertAudit(ctx, &store.AuditEntry{Time: at, Actor: "admin", Action: "key.create", Target: "k"}); err != nil {
			t.Fatal(err)
		}
	}
	opts := nodeOptions(io.Discard)
	opts.Store, opts.NoPolicies = st, true
	n, err := Start(ctx, cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Shutdown(ctx)
	testkit.Eventually(t, 10*time.Second, "the old usage event and audit entry purged", func() bool {
		_, usage, err1 := st.ListUsageEvents(ctx, store.UsageFilter{APIKeyID: "k"})
		_, audit, err2 := st.ListAudit(ctx, store.AuditFilter{Target: "k"})
		return err1 == nil && err2 == nil && usage == 1 && audit == 1
	})
}

// TestFailedStartReleasesWhatItOpened: Start fails at its last step (the
// actor system refuses its settings) after it opened the store, started the
// usage writer, telemetry and the policy chain; all of it is released again,
// except a store the caller gave it.
func TestFailedStartReleasesWhatItOpened(t *testing.T) {
	for _, tc := range []struct {
		name  string
		given bool // Options.Store
	}{
		{"own store", false},
		{"given store", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := nodeConfig(t)
			cfg.Prewarm = cfg.MaxProcesses + 1 // actors.New refuses it
			opts := nodeOptions(io.Discard)
			if tc.given {
				st, err := OpenStore(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer st.Close()
				opts.Store = st
			}
			n, err := Start(context.Background(), cfg, opts)
			if err == nil || n != nil {
				t.Fatalf("Start = %v, %v; want the actor system's error", n, err)
			}
			if !strings.Contains(err.Error(), "prewarm") {
				t.Fatalf("Start failed with %v, not at the actor system", err)
			}
			testkit.Eventually(t, 10*time.Second, "the usage writer ended", func() bool {
				return !goroutinesIn("internal/usage.")
			})
			open := openFilesUnder(t, cfg.DataDir)
			if tc.given && len(open) == 0 {
				t.Error("the node closed a store it was given")
			}
			if !tc.given && len(open) != 0 {
				t.Errorf("files left open in the data dir: %v", open)
			}
		})
	}
}

// goroutinesIn reports whether a goroutine runs code of the package path part.
func goroutinesIn(part string) bool {
	buf := make([]byte, 1<<22)
	return strings.Contains(string(buf[:runtime.Stack(buf, true)]), "ccgateway/"+part)
}

// openFilesUnder lists this process's open files under dir.
func openFilesUnder(t *testing.T, dir string) []string {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	dir, _ = filepath.EvalSymlinks(dir)
	var out []string
	for _, fd := range fds {
		if p, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil && strings.HasPrefix(p, dir+string(filepath.Separator)) {
			out = append(out, p)
		}
	}
	return out
}

// TestIdleConnectionsAreClosed replays issue 13 item 2: the server set only
// ReadHeaderTimeout, so idle keep-alive connections stayed open for good. The
// gateway's server closes them after idle-timeout.
func TestIdleConnectionsAreClosed(t *testing.T) {
	cfg := config.Defaults()
	cfg.IdleTimeout = 300 * time.Millisecond
	srv := newHTTPServer(cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}), slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := br.ReadByte(); err != io.EOF {
		t.Fatalf("idle keep-alive connection: %v, want closed by the server", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("closed after %v", d)
	}
}
