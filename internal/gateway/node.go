package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/idempotency"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	usagelog "github.com/ccgateway/ccgateway/internal/usage"
)

// Options are what a node needs besides its settings: where it logs, what it
// is, the outside world it may read, and the parts a test supplies itself.
// serve sets Log, Version, Env, HTTPAddr and MetricsListener; the rest is
// for tests.
type Options struct {
	Log     *slog.Logger // nil: slog.Default()
	Version string
	// Env is the process environment: the CLI's variables (through the
	// pass-env allowlist) and the OTEL_* variables of trace export.
	Env []string
	// CLI replaces the CLI driver's configuration that the settings and Env give.
	CLI *claudecli.Config
	// HTTPAddr is the node's API address, published to the other cluster members.
	HTTPAddr string
	// Store is an open, migrated store the node uses and does not close; nil
	// opens the one the settings name (and Shutdown closes it).
	Store store.Store
	// Usage wraps the batching usage writer that turns record into; nil records
	// into the writer alone.
	Usage func(w *usagelog.Writer) api.UsageRecorder
	// Telemetry replaces the telemetry configuration read from Env.
	Telemetry *telemetry.Config
	// MetricsListener, when set, serves GET /metrics on its own address (the
	// metrics-listen setting) until Shutdown.
	MetricsListener net.Listener
	// NoPolicies runs admission without the policy chain and /admin/policies
	// answers 503: tests that do not exercise policies skip wazero's start-up.
	NoPolicies bool
	// PolicyCacheDir replaces the compilation cache in the data dir.
	PolicyCacheDir string
}

// Node is one running ccgateway node: store, admin auth, usage writer and
// retention, telemetry, policy chain, actor system and the HTTP API. Start
// builds it; Shutdown stops it in the one order that loses no usage event.
type Node struct {
	cfg      *config.Config
	log      *slog.Logger
	cli      claudecli.Config
	store    store.Store
	issuer   *auth.Issuer
	usage    *usagelog.Writer
	tel      *telemetry.Telemetry
	policies *policyset.Manager
	sys      *actors.System
	handler  http.Handler
	srv      *http.Server
	records  *usagelog.Sweeper // usage and audit retention, swept by the retention loop

	// stopRetention ends the retention loop; it stops before the actor system,
	// through which it deletes idle conversations.
	stopRetention func()

	// releases are what Start opened after the store, released in reverse
	// order: the defers of serve as it was.
	releases []func() error

	shutdownOnce sync.Once
	shutdownErr  error
}

// Start assembles a node from cfg and opts and starts everything but the HTTP
// server, which the caller serves (Server). ctx bounds the start-up; the node
// runs until Shutdown. When Start fails, what it opened is released.
func Start(ctx context.Context, cfg *config.Config, opts Options) (*Node, error) {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	n := &Node{cfg: cfg, log: opts.Log}
	if err := n.start(ctx, opts); err != nil {
		n.abort()
		return nil, err
	}
	return n, nil
}

// start builds the parts in serve's order; each one that needs releasing is
// added to n.releases as soon as it runs.
func (n *Node) start(ctx context.Context, opts Options) error {
	cfg, log := n.cfg, n.log
	if n.store = opts.Store; n.store == nil {
		st, err := OpenStore(ctx, cfg)
		if err != nil {
			return err
		}
		n.store = st
		n.onRelease(st.Close)
	}
	if err := ensureAdmin(ctx, n.store, cfg, log); err != nil {
		return err
	}
	secret, err := jwtSecret(cfg)
	if err != nil {
		return err
	}
	if n.issuer, err = auth.NewIssuer(auth.LocalConfig{Secret: secret, TTL: cfg.AdminTokenTTL}); err != nil {
		return err
	}
	verifier, err := auth.NewVerifier(authConfig(cfg, secret))
	if err != nil {
		return err
	}
	if err := n.startUsage(); err != nil {
		return err
	}
	tcfg, err := telemetryConfig(ctx, opts, cfg.NodeName, log)
	if err != nil {
		return err
	}
	if n.tel, err = telemetry.New(tcfg); err != nil {
		return err
	}
	n.onRelease(func() error { shutdownTelemetry(n.tel, log); return nil })
	if !opts.NoPolicies {
		if err := n.startPolicies(ctx, opts.PolicyCacheDir); err != nil {
			return err
		}
	}
	if err := n.startActors(opts); err != nil {
		return err
	}
	n.buildAPI(opts, verifier)
	if opts.MetricsListener != nil {
		stop := serveMetrics(opts.MetricsListener, n.tel, log)
		n.onRelease(func() error { stop(); return nil })
	}
	return nil
}

// startUsage starts the batching usage writer and builds the usage and
// audit retention that the retention loop sweeps.
func (n *Node) startUsage() error {
	cfg, log := n.cfg, n.log
	recorder, err := usagelog.New(n.store, usagelog.Config{
		BatchSize: cfg.UsageBatchSize, FlushInterval: cfg.UsageFlushInterval, BufferSize: cfg.UsageBufferSize,
	}, log)
	if err != nil {
		return err
	}
	recorder.Start()
	n.usage = recorder
	n.onRelease(func() error { return closeRecorder(recorder, log) })
	n.records = usagelog.NewSweeper(n.store, usagelog.RetentionConfig{UsageAge: cfg.UsageRetention, AuditAge: cfg.AuditRetention,
		IdempotencyAge: idempotency.DefaultTTL}, log)
	return nil
}

// startPolicies loads the policy chain from the store; cacheDir, when set,
// replaces the compilation cache in the data dir.
func (n *Node) startPolicies(ctx context.Context, cacheDir string) error {
	pcfg := policyConfig(n.cfg)
	if cacheDir != "" {
		pcfg.Engine.CacheDir = cacheDir
	}
	pcfg.Engine.Observer = actors.PolicyObserver(n.tel)
	pols, err := policyset.New(ctx, n.store, pcfg, n.log)
	if err != nil {
		return err
	}
	n.policies = pols
	n.onRelease(func() error { closePolicies(pols, n.log); return nil })
	return nil
}

// startActors starts the actor system on the policy chain, and in a cluster
// the watcher that keeps the chain the same on every node.
func (n *Node) startActors(opts Options) error {
	n.cli = cliConfig(n.cfg, opts.Env)
	if opts.CLI != nil {
		n.cli = *opts.CLI
	}
	acfg := ActorsConfig(n.cfg, n.cli, opts.Version)
	if n.policies != nil {
		acfg.Policies = n.policies.Registry()
	}
	acfg.HTTPAddr = opts.HTTPAddr
	acfg.Telemetry = n.tel
	acfg.OwnerSweeps = true // the retention loop sweeps
	sys, err := actors.New(acfg, n.store, n.log)
	if err != nil {
		return err
	}
	n.sys = sys
	n.stopRetention = retention(sys, n.records)
	if sys.Clustered() && n.policies != nil {
		stopWatch := clusterPolicies(sys, n.policies, n.log)
		n.onRelease(func() error { stopWatch(); return nil })
	}
	if err := n.tel.ObserveProcesses(processStats(sys)); err != nil {
		n.log.Warn("no CLI process gauges", "err", err)
	}
	return nil
}

// buildAPI builds the HTTP API with the node's route groups and readiness
// checks, and the server around it; the server's shutdown ends the API's
// long-lived streams (Stopping).
func (n *Node) buildAPI(opts Options, verifier *auth.Verifier) {
	var usage api.UsageRecorder = n.usage
	if opts.Usage != nil {
		usage = opts.Usage(n.usage)
	}
	stopping := make(chan struct{})
	n.handler, _ = api.New(api.Deps{
		Config: APIConfig(n.cfg), Store: n.store, Actors: n.sys, Tokens: n.issuer, Admins: verifier, Log: n.log,
		Usage: usage, Events: n.usage, Stopping: stopping, Policies: n.policies, Telemetry: n.tel, Version: opts.Version,
		Ready: append(readyChecks(n.store, n.cli), api.ReadyCheck{Name: "cluster", Check: n.sys.ClusterReady}),
	}, Groups...)
	n.srv = newHTTPServer(n.cfg, n.handler, n.log)
	var stopOnce sync.Once
	n.srv.RegisterOnShutdown(func() { stopOnce.Do(func() { close(stopping) }) })
}

// onRelease adds f to what Shutdown (or a failed Start) releases, before
// everything added earlier.
func (n *Node) onRelease(f func() error) { n.releases = append(n.releases, f) }

// release runs the releases in reverse order and joins their errors.
func (n *Node) release() error {
	var errs []error
	for i := len(n.releases) - 1; i >= 0; i-- {
		errs = append(errs, n.releases[i]())
	}
	n.releases = nil
	return errors.Join(errs...)
}

// abort undoes a Start that failed part way.
func (n *Node) abort() {
	if n.stopRetention != nil {
		n.stopRetention()
	}
	if n.sys != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = n.sys.Shutdown(ctx)
	}
	_ = n.release()
}

// Shutdown stops the node: it ends the retention loop, stops accepting, lets
// in-flight turns finish until ctx ends, then interrupts and kills what is
// left, so no CLI process outlives it; then it releases the rest in reverse order of Start, the usage
// writer's final flush after every handler returned. It returns what could not
// be finished cleanly (usage events lost, the store's close); a second call
// returns the first one's result.
func (n *Node) Shutdown(ctx context.Context) error {
	n.shutdownOnce.Do(func() { n.shutdownErr = n.shutdown(ctx) })
	return n.shutdownErr
}

func (n *Node) shutdown(ctx context.Context) error {
	n.stopRetention()
	httpDone := make(chan error, 1)
	go func() { httpDone <- n.srv.Shutdown(ctx) }()
	if err := n.sys.Shutdown(ctx); err != nil {
		n.log.Warn("turns were cut short by the shutdown deadline", "err", err)
	}
	if err := <-httpDone; errors.Is(err, context.DeadlineExceeded) {
		// The deadline passed with handlers still running; their turns are over
		// now, so give them a moment to write their last bytes (and record their
		// usage) before the recorder's final flush.
		fctx, fcancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := n.srv.Shutdown(fctx); errors.Is(err, context.DeadlineExceeded) {
			_ = n.srv.Close()
		}
		fcancel()
	}
	return n.release()
}

// DeclaredDead is closed when the cluster declared this node dead; the node must
// then be shut down and started again (a new member id). Nil on a single node.
func (n *Node) DeclaredDead() <-chan struct{} { return n.sys.DeclaredDead() }

// Server is the node's HTTP server (its handler, the header and idle
// timeouts of the settings); the caller serves it on its listener, and
// Shutdown stops it first.
func (n *Node) Server() *http.Server { return n.srv }

// Handler is the node's API, without the server around it.
func (n *Node) Handler() http.Handler { return n.handler }

// Store is the node's store.
func (n *Node) Store() store.Store { return n.store }

// System is the node's actor system.
func (n *Node) System() *actors.System { return n.sys }

// Usage is the node's batching usage writer.
func (n *Node) Usage() *usagelog.Writer { return n.usage }

// Issuer issues the node's local admin tokens.
func (n *Node) Issuer() *auth.Issuer { return n.issuer }

// Policies manages the node's policy chain; nil with Options.NoPolicies.
func (n *Node) Policies() *policyset.Manager { return n.policies }

// Telemetry is the node's metrics and traces.
func (n *Node) Telemetry() *telemetry.Telemetry { return n.tel }

// CLI is the CLI driver's configuration the node runs.
func (n *Node) CLI() claudecli.Config { return n.cli }
