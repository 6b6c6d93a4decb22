package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/connlimit"
	"github.com/ccgateway/ccgateway/internal/gateway"
	"github.com/ccgateway/ccgateway/internal/idempotency"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	usagelog "github.com/ccgateway/ccgateway/internal/usage"
)

// cmdServe runs the gateway until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight turns finish until the shutdown timeout, then
// interrupts and kills what is left, so no CLI process outlives it.
func cmdServe(ctx context.Context, e *env, args []string) error {
	cfg, err := config.Load("ccgateway serve", args, e.vars, e.stderr, nil)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(e.stderr, cfg.LogLevel)
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return err
	}
	defer unlock()
	if w := store.DataDirWarning(cfg.DataDir); w != "" {
		log.Warn(w)
	}
	// Listen before anything starts CLI processes: a taken address fails fast.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer ln.Close()
	var metricsLn net.Listener
	if cfg.MetricsListen != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics-listen: %w", err)
		}
		defer metricsLn.Close()
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := ensureAdmin(ctx, st, cfg, log); err != nil {
		return err
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return err
	}
	issuer, err := auth.NewIssuer(auth.LocalConfig{Secret: secret, TTL: cfg.AdminTokenTTL})
	if err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(authConfig(cfg, secret))
	if err != nil {
		return err
	}
	recorder, err := usagelog.New(st, usagelog.Config{
		BatchSize: cfg.UsageBatchSize, FlushInterval: cfg.UsageFlushInterval, BufferSize: cfg.UsageBufferSize,
	}, log)
	if err != nil {
		return err
	}
	recorder.Start()
	defer closeRecorder(recorder, log)
	sweeper := usagelog.NewSweeper(st, usagelog.RetentionConfig{
		UsageAge: cfg.UsageRetention, AuditAge: cfg.AuditRetention, IdempotencyAge: idempotency.DefaultTTL,
		Interval: cfg.RetentionInterval,
	}, log)
	sweeper.Start()
	defer sweeper.Stop()
	tcfg, err := telemetryConfig(ctx, e.vars, cfg.NodeName, log)
	if err != nil {
		return err
	}
	tel, err := telemetry.New(tcfg)
	if err != nil {
		return err
	}
	defer shutdownTelemetry(tel, log)
	pcfg := policyConfig(cfg)
	pcfg.Engine.Observer = actors.PolicyObserver(tel)
	pols, err := policyset.New(ctx, st, pcfg, log)
	if err != nil {
		return err
	}
	defer closePolicies(pols, log)
	cliCfg := cliConfig(cfg, e.vars)
	acfg := gateway.ActorsConfig(cfg, cliCfg, version)
	acfg.Policies = pols.Registry()
	acfg.HTTPAddr = ln.Addr().String()
	acfg.Telemetry = tel
	sys, err := actors.New(acfg, st, log)
	if err != nil {
		return err
	}
	if sys.Clustered() {
		stopWatch := clusterPolicies(ctx, sys, pols, log)
		defer stopWatch()
	}
	if err := tel.ObserveProcesses(processStats(sys)); err != nil {
		log.Warn("no CLI process gauges", "err", err)
	}
	stopping := make(chan struct{})
	handler, _ := api.New(api.Deps{
		Config: gateway.APIConfig(cfg), Store: st, Actors: sys, Tokens: issuer, Admins: verifier, Log: log,
		Usage: recorder, Events: recorder, Stopping: stopping, Policies: pols,
		Telemetry: tel, Version: version, Ready: append(readyChecks(st, cliCfg), api.ReadyCheck{Name: "cluster", Check: sys.ClusterReady}),
	}, gateway.Groups...)
	if metricsLn != nil {
		defer serveMetrics(metricsLn, tel, log)()
	}
	srv := newHTTPServer(cfg, handler, log)
	ln = connlimit.New(ln, cfg.MaxConnsPerIP, cfg.TrustedProxies)
	var stopOnce sync.Once
	srv.RegisterOnShutdown(func() { stopOnce.Do(func() { close(stopping) }) })
	serveErr := make(chan error, 1)
	scheme := "http"
	if cfg.TLSCertFile != "" {
		scheme = "https"
		go func() { serveErr <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile) }()
	} else {
		go func() { serveErr <- srv.Serve(ln) }()
	}
	log.Info("serving", "addr", scheme+"://"+ln.Addr().String(), "version", version, "store", storeKind(cfg), "claude", cliCfg.Path)
	startupNotes(log, scheme+"://"+ln.Addr().String(), cliCfg)

	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	httpDone := make(chan error, 1)
	go func() { httpDone <- srv.Shutdown(sctx) }()
	if err := sys.Shutdown(sctx); err != nil {
		log.Warn("turns were cut short by the shutdown deadline", "err", err)
	}
	if err := <-httpDone; errors.Is(err, context.DeadlineExceeded) {
		// The deadline passed with handlers still running; their turns are over
		// now, so give them a moment to write their last bytes (and record their
		// usage) before the recorder's final flush.
		fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(fctx); errors.Is(err, context.DeadlineExceeded) {
			_ = srv.Close()
		}
		fcancel()
	}
	log.Info("stopped")
	return nil
}

// newHTTPServer is the gateway's HTTP server: headers must arrive within 10 s,
// an idle keep-alive connection closes after idle-timeout; request bodies are
// bounded in time by the API's body-read-timeout middleware (a server-wide
// ReadTimeout or WriteTimeout would cut off SSE streams and WebSockets).
func newHTTPServer(cfg *config.Config, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: cfg.IdleTimeout,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
}

// serveMetrics serves GET /metrics, unauthenticated, on its own address (the
// metrics-listen setting), until the returned stop is called.
func serveMetrics(ln net.Listener, tel *telemetry.Telemetry, log *slog.Logger) (stop func()) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", tel.MetricsHandler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 90 * time.Second,
		ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = srv.Close() }
}

// processStats reads the node's CLI process table for the process gauges.
func processStats(sys *actors.System) func() telemetry.ProcessStats {
	return func() telemetry.ProcessStats {
		st := sys.ProcessStatus()
		ps := telemetry.ProcessStats{ByState: map[string]int{}, MaxProcesses: st.MaxProcesses, MaxQueue: st.MaxQueue,
			RSSBytes: st.TotalRSSBytes, MemoryBudget: st.MemoryBudgetBytes}
		for _, p := range st.Processes {
			ps.ByState[p.State]++
		}
		for _, n := range st.QueueByKey {
			ps.Queued += n
		}
		return ps
	}
}

// shutdownTelemetry ends the trace and metric providers (span processors flush).
func shutdownTelemetry(tel *telemetry.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("telemetry shutdown", "err", err)
	}
}

func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

func storeKind(cfg *config.Config) string {
	if strings.HasPrefix(cfg.DatabaseURL, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

// ensureAdmin creates or resets the local admin user "admin" when a password is configured.
func ensureAdmin(ctx context.Context, st store.Store, cfg *config.Config, log *slog.Logger) error {
	if cfg.AdminPassword == "" {
		return nil
	}
	if err := setAdminPassword(ctx, st, "admin", cfg.AdminPassword); err != nil {
		return err
	}
	log.Info("local admin user ready", "username", "admin")
	return nil
}

// setAdminPassword sets the admin's password. A new password revokes the
// admin's tokens (store.UpsertAdmin bumps its token version); the password it
// already has changes nothing, so restarting with CCGATEWAY_ADMIN_PASSWORD set
// does not log every admin out.
func setAdminPassword(ctx context.Context, st store.Store, username, password string) error {
	if a, err := st.GetAdminByUsername(ctx, username); err == nil {
		if ok, _ := auth.VerifyPassword(a.PasswordHash, password); ok {
			return nil
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return st.UpsertAdmin(ctx, &store.Admin{Username: username, PasswordHash: hash})
}

// jwtSecret returns the configured admin-token secret, or one generated once and
// kept in the data dir (mode 0600) so tokens survive restarts.
func jwtSecret(cfg *config.Config) (string, error) {
	if cfg.JWTSecret != "" {
		return cfg.JWTSecret, nil
	}
	path := filepath.Join(cfg.DataDir, "jwt-secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("jwt secret: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("jwt secret: %w", err)
	}
	return secret, nil
}

// topicPolicies is the cluster broadcast of a policy chain change.
const topicPolicies = "policies"

// clusterPolicies keeps the policy chain the same on every node: a change made
// here is broadcast, a broadcast from another node reloads the chain from the
// store, and a reload every 10 s catches up a missed broadcast. The returned stop
// ends the watcher.
func clusterPolicies(ctx context.Context, sys *actors.System, pols *policyset.Manager, log *slog.Logger) (stop func()) {
	pols.OnChange(func() {
		if err := sys.Broadcast(topicPolicies, nil); err != nil {
			log.Warn("cluster broadcast incomplete; the store fallback catches up", "topic", topicPolicies, "err", err)
		}
	})
	sys.HandleBroadcast(topicPolicies, func([]byte) {
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		start := time.Now()
		if changed, err := pols.Reload(rctx); err != nil {
			log.Warn("policy chain reload", "err", err)
		} else if changed {
			log.Info("policy chain reloaded after a change on another node", "took", time.Since(start))
		}
	})
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { pols.Watch(wctx, 10*time.Second, log); close(done) }()
	return func() { cancel(); <-done }
}

func cliConfig(cfg *config.Config, vars []string) claudecli.Config {
	retries := cfg.CLIMaxRetries
	if retries == 0 {
		retries = -1 // the driver reads 0 as "its default"; here 0 means none
	}
	return claudecli.Config{
		Path: cfg.ClaudePath, MaxRetries: retries, APITimeout: cfg.CLIAPITimeout,
		Watchdog: cfg.CLIWatchdog, PassEnv: cfg.PassEnv, Env: vars,
	}
}

// readyChecks are /readyz's probes: the store answers, the CLI runs, it has credentials.
func readyChecks(st store.Store, cli claudecli.Config) []api.ReadyCheck {
	return []api.ReadyCheck{
		{Name: "store", Check: st.Ping},
		{Name: "cli", Check: cached(30*time.Second, func(ctx context.Context) error {
			_, err := claudecli.Probe(ctx, cli)
			if err != nil {
				return fmt.Errorf("the Claude CLI (%s) does not run: %v; install it (make tools) or set CCGATEWAY_CLAUDE_PATH", cli.Path, err)
			}
			return nil
		})},
		{Name: "cli_credentials", Check: func(context.Context) error {
			if !claudecli.CredentialsConfigured(cli.Env) {
				return errors.New("no CLI credentials: run `claude setup-token` and set CLAUDE_CODE_OAUTH_TOKEN, or set ANTHROPIC_API_KEY, in the gateway's environment")
			}
			return nil
		}},
	}
}

// authConfig gathers the admin token sources: local tokens always, a shared-secret
// system and an OIDC provider when configured.
func authConfig(cfg *config.Config, localSecret string) auth.Config {
	return auth.Config{
		Local: auth.LocalConfig{Secret: localSecret, TTL: cfg.AdminTokenTTL},
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

// closeRecorder writes the buffered usage events; it runs after the HTTP server
// and the turns have stopped, so every answered request's event is in the buffer.
func closeRecorder(w *usagelog.Writer, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		log.Error("usage events lost at shutdown", "err", err)
		return
	}
	st := w.Stats()
	log.Info("usage events flushed", "written", st.Written, "dropped", st.Dropped)
}

// cached remembers a check's outcome for ttl, so that frequent /readyz probes do not
// start a CLI process each time.
func cached(ttl time.Duration, check func(context.Context) error) func(context.Context) error {
	var mu sync.Mutex
	var last time.Time
	var lastErr error
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if !last.IsZero() && time.Since(last) < ttl {
			return lastErr
		}
		lastErr, last = check(ctx), time.Now()
		return lastErr
	}
}
