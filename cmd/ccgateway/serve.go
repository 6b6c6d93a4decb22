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
//
// A cluster node that the others declared dead (it stopped answering for longer
// than failure detection allows: a paused VM, a stalled host) cannot take its
// member id back. serve then shuts the node down as for SIGTERM and starts it
// again on the same listeners, under a new member id, so it rejoins by itself.
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
	raw, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln := newHandoffListener(connlimit.New(raw, cfg.MaxConnsPerIP, cfg.TrustedProxies))
	defer ln.Close()
	var metrics *handoffListener
	if cfg.MetricsListen != "" {
		mraw, err := net.Listen("tcp", cfg.MetricsListen)
		if err != nil {
			return fmt.Errorf("metrics-listen: %w", err)
		}
		metrics = newHandoffListener(mraw)
		defer metrics.Close()
	}
	scheme := "http"
	if cfg.TLSCertFile != "" {
		scheme = "https"
	}
	url := scheme + "://" + raw.Addr().String()
	for start := 0; ; start++ {
		opts := gateway.Options{Log: log, Version: version, Env: e.vars, HTTPAddr: raw.Addr().String()}
		if metrics != nil {
			opts.MetricsListener = metrics.Take()
		}
		node, err := gateway.Start(ctx, cfg, opts)
		if err != nil {
			return err
		}
		srv, turn := node.Server(), ln.Take()
		serveErr := make(chan error, 1)
		if cfg.TLSCertFile != "" {
			go func() { serveErr <- srv.ServeTLS(turn, cfg.TLSCertFile, cfg.TLSKeyFile) }()
		} else {
			go func() { serveErr <- srv.Serve(turn) }()
		}
		log.Info("serving", "addr", url, "version", version, "store", gateway.StoreKind(cfg), "claude", node.CLI().Path, "start", start+1)
		if start == 0 {
			startupNotes(log, url, node.CLI())
		}

		again := false
		select {
		case err = <-serveErr:
			err = fmt.Errorf("serve: %w", err)
		case <-ctx.Done():
			log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
		case <-node.DeclaredDead():
			again = true
			log.Warn("restarting the node to rejoin the cluster under a new member id", "timeout", cfg.ShutdownTimeout)
		}
		sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		// A failed final flush is logged by the node; the exit status stays that
		// of the serve loop, as before the node was a package.
		_ = node.Shutdown(sctx)
		cancel()
		if !again || ctx.Err() != nil {
			log.Info("stopped")
			return err
		}
	}
}
