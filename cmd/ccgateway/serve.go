package main

import (
	"context"
	"fmt"
	"net"

	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/connlimit"
	"github.com/ccgateway/ccgateway/internal/gateway"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// cmdServe runs the gateway until ctx ends, then shuts down gracefully: it stops
// accepting, lets in-flight turns finish until the shutdown timeout, then
// interrupts and kills what is left, so no CLI process outlives it. The node
// itself, and its start and shutdown order, is internal/gateway's.
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
	opts := gateway.Options{Log: log, Version: version, Env: e.vars, HTTPAddr: ln.Addr().String()}
	if cfg.MetricsListen != "" {
		if opts.MetricsListener, err = net.Listen("tcp", cfg.MetricsListen); err != nil {
			return fmt.Errorf("metrics-listen: %w", err)
		}
		defer opts.MetricsListener.Close()
	}
	node, err := gateway.Start(ctx, cfg, opts)
	if err != nil {
		return err
	}
	srv := node.Server()
	ln = connlimit.New(ln, cfg.MaxConnsPerIP, cfg.TrustedProxies)
	serveErr := make(chan error, 1)
	scheme := "http"
	if cfg.TLSCertFile != "" {
		scheme = "https"
		go func() { serveErr <- srv.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile) }()
	} else {
		go func() { serveErr <- srv.Serve(ln) }()
	}
	log.Info("serving", "addr", scheme+"://"+ln.Addr().String(), "version", version, "store", gateway.StoreKind(cfg), "claude", node.CLI().Path)
	startupNotes(log, scheme+"://"+ln.Addr().String(), node.CLI())

	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// A failed final flush is logged by the node; the exit status stays that of
	// the serve loop, as before the node was a package.
	_ = node.Shutdown(sctx)
	log.Info("stopped")
	return err
}
