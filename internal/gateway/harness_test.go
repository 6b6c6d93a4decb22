package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/internal/usage"
)

// gateway is a running node (the assembly serve runs, Start) on an httptest
// server, with a real SQLite store, the real Claude CLI and a fake Anthropic API.
type gateway struct {
	t     testing.TB
	srv   *httptest.Server // restart replaces it
	st    store.Store
	fake  *testkit.FakeAPI
	cfg   *config.Config
	dir   string
	logs  *syncBuffer
	usage *memUsage
	cli   claudecli.Config
	log   *slog.Logger
	// withPols is set by withPolicies: the node runs the policy chain from its
	// store, as serve does; without it the node has no chain (Options.NoPolicies).
	withPols bool

	mu sync.Mutex
	n  *Node // restart replaces it
}

// node returns the current node (restart replaces it).
func (g *gateway) node() *Node {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.n
}

// system returns the current node's actor system.
func (g *gateway) system() *actors.System { return g.node().System() }

// restart stops the node and starts a new one on the same store and data dir,
// served on a new address, as a gateway restart would. A test that stopped the
// node itself (to look at the store in between) loses nothing: Shutdown runs once.
func (g *gateway) restart() {
	g.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = g.node().Shutdown(ctx)
	n := g.startNode(g.cfg)
	srv := g.serve(n)
	g.mu.Lock()
	old := g.srv
	g.n, g.srv = n, srv
	g.mu.Unlock()
	old.Close()
}

type gatewayOption func(cfg *config.Config, cli *claudecli.Config)

// newGateway starts a gateway for one test; everything stops at cleanup.
func newGateway(t testing.TB, opts ...gatewayOption) *gateway {
	t.Helper()
	return newGatewayOn(t, nil, opts...)
}

// newGatewayOn is newGateway with the node's store wrapped by wrap (nil: none),
// for a test that watches the store calls the node makes.
func newGatewayOn(t testing.TB, wrap func(store.Store) store.Store, opts ...gatewayOption) *gateway {
	t.Helper()
	g := &gateway{t: t, dir: t.TempDir(), fake: testkit.NewFakeAPI(t), logs: &syncBuffer{}, usage: &memUsage{}}
	cfg := config.Defaults()
	cfg.DataDir = g.dir
	cfg.StreamHold = 3 * time.Second               // generous: an early failure on a loaded host must still come back as an HTTP error
	cfg.Prewarm = 0                                // each spare costs a CLI spawn: tests that want one ask for it
	cfg.JWTSecret = strings.Repeat("s", 32)        // the tests sign their own admin tokens with it
	cfg.UsageFlushInterval = 20 * time.Millisecond // the admin usage API has a request's event at once
	cli := claudecli.Config{
		Path: testkit.ClaudePath(t), MaxRetries: -1, APITimeout: 10 * time.Second,
		Watchdog: 20 * time.Second, Env: append(os.Environ(), g.fake.Env()...),
	}
	for _, o := range opts {
		o(cfg, &cli)
	}
	g.withPols = cfg.PolicyMemoryMB < 0 // withPolicies' mark
	if g.withPols {
		cfg.PolicyMemoryMB = config.Defaults().PolicyMemoryMB
	}
	g.cfg, g.cli = cfg, cli
	g.log = slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The store outlives the node: restart and secondNode start nodes on it.
	st, err := OpenStore(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	if wrap != nil {
		st = wrap(st)
	}
	g.st = st
	g.n = g.startNode(cfg)
	g.srv = g.serve(g.n)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.node().Shutdown(ctx)
		g.srv.Close()
	})
	return g
}

// startNode starts a node with cfg and the test's options: its store, CLI,
// logger, the usage events teed into memory, no trace export.
func (g *gateway) startNode(cfg *config.Config) *Node {
	g.t.Helper()
	cli := g.cli
	n, err := Start(context.Background(), cfg, Options{
		Log: g.log, Version: "test", CLI: &cli, Store: g.st,
		Usage:     func(w *usage.Writer) api.UsageRecorder { return teeUsage{g.usage, w} },
		Telemetry: &telemetry.Config{Version: "test"}, NoPolicies: !g.withPols, PolicyCacheDir: policyCacheDir(),
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return n
}

// serve serves n's HTTP server on a new loopback address (HTTPS with
// httptest's certificate under testTLS), every response checked by conformance.
func (g *gateway) serve(n *Node) *httptest.Server {
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = n.Server()
	srv.Config.Handler = conformance.Wrap(srv.Config.Handler)
	if g.cfg.TLSCertFile == testTLS {
		srv.StartTLS()
	} else {
		srv.Start()
	}
	return srv
}

// newKey creates an API key with the given status and returns its secret.
func (g *gateway) newKey(status string, mutate ...func(k *store.APIKey)) (string, *store.APIKey) {
	g.t.Helper()
	gen, err := auth.GenerateKey()
	if err != nil {
		g.t.Fatal(err)
	}
	k := &store.APIKey{ID: uuid.NewString(), Name: "test-" + status, Prefix: gen.Prefix, Hash: gen.Hash, Status: status,
		Permissions: store.Permissions{AllowStreaming: true}}
	for _, m := range mutate {
		m(k)
	}
	if err := g.st.CreateAPIKey(context.Background(), k); err != nil {
		g.t.Fatal(err)
	}
	return gen.Secret, k
}

// do sends a JSON request with an API key and returns the response with its body read.
func (g *gateway) do(ctx context.Context, method, path, key string, body any) (*http.Response, []byte) {
	g.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			g.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.srv.URL+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// decodeProblem parses a problem body and checks its content type.
func decodeProblem(t *testing.T, resp *http.Response, body []byte) api.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("content type %q, want application/problem+json (body %s)", ct, body)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	return p
}

// sseEvent is one parsed server-sent event.
type parsedEvent struct {
	Name string
	Data json.RawMessage
}

// parseSSE splits an event stream into events, ignoring comments.
func parseSSE(body []byte) []parsedEvent {
	var out []parsedEvent
	for _, block := range strings.Split(string(body), "\n\n") {
		var ev parsedEvent
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = json.RawMessage(strings.TrimPrefix(line, "data: "))
			}
		}
		if ev.Name != "" {
			out = append(out, ev)
		}
	}
	return out
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// memUsage records usage events in memory.
type memUsage struct {
	mu     sync.Mutex
	events []store.UsageEvent
}

func (m *memUsage) Record(ev *store.UsageEvent) {
	m.mu.Lock()
	m.events = append(m.events, *ev)
	m.mu.Unlock()
}

func (m *memUsage) all() []store.UsageEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.UsageEvent(nil), m.events...)
}

// teeUsage records to memory (for assertions) and to the real batching writer
// (so the admin usage API has data).
type teeUsage struct {
	mem *memUsage
	w   *usage.Writer
}

func (t teeUsage) Record(ev *store.UsageEvent) {
	t.mem.Record(ev)
	t.w.Record(ev)
}

// testTLS as tls-cert-file makes newGateway serve HTTPS with httptest's certificate.
const testTLS = "test:tls"

// adminToken returns a token of the local admin "root".
func (g *gateway) adminToken() string {
	g.t.Helper()
	return g.adminTokenFor("root")
}

// adminTokenFor returns a token of the local admin username, creating the admin
// (with an unusable password) when it does not exist yet; the token carries the
// admin's current token version.
func (g *gateway) adminTokenFor(username string) string {
	g.t.Helper()
	ctx := context.Background()
	a, err := g.st.GetAdminByUsername(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		a = &store.Admin{Username: username, PasswordHash: "not a password hash"}
		err = g.st.UpsertAdmin(ctx, a)
	}
	if err != nil {
		g.t.Fatal(err)
	}
	tok, _, err := g.node().Issuer().Issue(username, a.TokenVersion, time.Hour)
	if err != nil {
		g.t.Fatal(err)
	}
	return tok
}

// decode parses a JSON body into v, failing the test on error.
func decode[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, body, err)
	}
	return v
}

// lastUserBlock returns the text of the last content block of the last user
// message: the CLI puts its own system reminders in earlier blocks.
func lastUserBlock(t *testing.T, r *testkit.Request) string {
	t.Helper()
	for i := len(r.Messages) - 1; i >= 0; i-- {
		m := r.Messages[i]
		if m.Role != "user" {
			continue
		}
		var blocks []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(m.Content, &blocks); err != nil {
			var s string
			if json.Unmarshal(m.Content, &s) == nil {
				return s
			}
			t.Fatalf("user content %s: %v", m.Content, err)
		}
		if len(blocks) > 0 {
			return blocks[len(blocks)-1].Text
		}
	}
	return ""
}
