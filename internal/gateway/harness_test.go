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
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/internal/usage"
)

// gateway is a running API on an httptest server with a real SQLite store, the
// real Claude CLI and a fake Anthropic API.
type gateway struct {
	t      testing.TB
	srv    *httptest.Server
	st     store.Store
	fake   *testkit.FakeAPI
	sys    *actors.System
	cfg    *config.Config
	dir    string
	logs   *syncBuffer
	usage  *memUsage
	writer *usage.Writer
	issuer *auth.Issuer
	cli    claudecli.Config
	log    *slog.Logger
	swap   swapHandler
	// policies is set by withPolicies: the chain from the store, as serve runs it.
	policies *policyset.Manager
	withPols bool
	// tel is the gateway's telemetry (metrics on /metrics, spans dropped), as serve has.
	tel *telemetry.Telemetry
}

// swapHandler lets a test restart the gateway behind the same URL.
type swapHandler struct {
	mu sync.Mutex
	h  http.Handler
}

func (s *swapHandler) set(h http.Handler) { s.mu.Lock(); s.h = h; s.mu.Unlock() }

func (s *swapHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	h := s.h
	s.mu.Unlock()
	h.ServeHTTP(w, r)
}

// system returns the current actor system (restart replaces it).
func (g *gateway) system() *actors.System {
	g.swap.mu.Lock()
	defer g.swap.mu.Unlock()
	return g.sys
}

// restart starts a new actor system and API on the same store and data dir, as a
// gateway restart would; the caller shut the old system down.
func (g *gateway) restart() {
	g.t.Helper()
	if g.policies != nil {
		g.closePolicies()
		g.startPolicies()
	}
	sys, err := actors.New(g.actorsConfig(g.cli), g.st, g.log)
	if err != nil {
		g.t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(auth.Config{Local: auth.LocalConfig{Secret: strings.Repeat("s", 32)}})
	if err != nil {
		g.t.Fatal(err)
	}
	h, _ := api.New(api.Deps{Config: APIConfig(g.cfg), Store: g.st, Actors: sys, Tokens: g.issuer, Admins: verifier, Log: g.log,
		Usage: teeUsage{g.usage, g.writer}, Version: "test", Policies: g.policies, Telemetry: g.tel}, Groups...)
	g.swap.mu.Lock()
	g.sys = sys
	g.swap.mu.Unlock()
	g.swap.set(h)
}

type gatewayOption func(cfg *config.Config, cli *claudecli.Config)

// newGateway starts a gateway for one test; everything stops at cleanup.
func newGateway(t testing.TB, opts ...gatewayOption) *gateway {
	t.Helper()
	g := &gateway{t: t, dir: t.TempDir(), fake: testkit.NewFakeAPI(t), logs: &syncBuffer{}, usage: &memUsage{}}
	cfg := config.Defaults()
	cfg.DataDir = g.dir
	cfg.StreamHold = 3 * time.Second // generous: an early failure on a loaded host must still come back as an HTTP error
	cfg.Prewarm = 0                  // each spare costs a CLI spawn: tests that want one ask for it
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
	g.cfg = cfg
	tel, err := telemetry.New(telemetry.Config{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	g.tel = tel
	ctx := context.Background()
	st, err := store.Open(ctx, "", g.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	g.st = st
	log := slog.New(slog.NewJSONHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g.log = log
	if g.withPols {
		g.startPolicies()
	}
	g.sys, err = actors.New(g.actorsConfig(cli), st, log)
	if err != nil {
		t.Fatal(err)
	}
	secret := strings.Repeat("s", 32)
	g.issuer, err = auth.NewIssuer(auth.LocalConfig{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(testAuthConfig(cfg, secret))
	if err != nil {
		t.Fatal(err)
	}
	g.cli, g.log = cli, log
	g.writer, err = usage.New(st, usage.Config{FlushInterval: 20 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	g.writer.Start()
	stopping := make(chan struct{})
	h, _ := api.New(api.Deps{Config: APIConfig(cfg), Store: st, Actors: g.sys, Tokens: g.issuer, Admins: verifier, Log: log,
		Usage: teeUsage{g.usage, g.writer}, Events: g.writer, Stopping: stopping, Version: "test", Policies: g.policies,
		Telemetry: g.tel,
		Ready:     []api.ReadyCheck{{Name: "cli", Check: func(ctx context.Context) error { _, err := claudecli.Probe(ctx, cli); return err }}}}, Groups...)
	g.srv = httptest.NewUnstartedServer(conformance.Wrap(&g.swap))
	g.swap.set(h)
	if cfg.TLSCertFile == testTLS {
		g.srv.StartTLS()
	} else {
		g.srv.Start()
	}
	t.Cleanup(func() {
		close(stopping)
		g.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = g.system().Shutdown(ctx)
		g.closePolicies()
		_ = g.writer.Close(ctx)
		_ = st.Close()
	})
	return g
}

// actorsConfig is the actor system's configuration, as serve builds it, with
// the test's CLI and policies.
func (g *gateway) actorsConfig(cli claudecli.Config) actors.Config {
	c := ActorsConfig(g.cfg, cli, "test")
	c.Policies = g.registry()
	return c
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

// testAuthConfig mirrors cmd's wiring of the admin token sources.
func testAuthConfig(cfg *config.Config, localSecret string) auth.Config {
	return auth.Config{
		Local: auth.LocalConfig{Secret: localSecret},
		SharedSecret: auth.SharedSecretConfig{
			Secret: cfg.SharedJWTSecret, Issuer: cfg.SharedJWTIssuer, Audience: cfg.SharedJWTAudience,
			RoleClaim: cfg.SharedJWTRoleClaim, AdminValue: cfg.SharedJWTAdminValue,
		},
		OIDC: auth.OIDCConfig{
			Issuer: cfg.OIDCIssuer, JWKSURL: cfg.OIDCJWKSURL, Audience: cfg.OIDCAudience,
			RoleClaim: cfg.OIDCRoleClaim, AdminValue: cfg.OIDCAdminValue,
		},
	}
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
	tok, _, err := g.issuer.Issue(username, a.TokenVersion, time.Hour)
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
