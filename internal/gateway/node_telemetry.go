package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// telemetryConfig is opts.Telemetry, or the configuration Env asks for: the
// service name of OTEL_SERVICE_NAME, and the OTLP trace exporter when the
// standard OTEL_EXPORTER_OTLP_* variables ask for it.
func telemetryConfig(ctx context.Context, opts Options, node string, log *slog.Logger) (telemetry.Config, error) {
	if opts.Telemetry != nil {
		return *opts.Telemetry, nil
	}
	cfg := telemetry.Config{Version: opts.Version, Node: node}
	for _, kv := range opts.Env {
		if v, ok := strings.CutPrefix(kv, "OTEL_SERVICE_NAME="); ok && v != "" {
			cfg.ServiceName = v
		}
	}
	if !telemetry.OTLPEnabled(opts.Env) {
		return cfg, nil
	}
	sp, err := telemetry.NewOTLPProcessor(ctx, opts.Env)
	if err != nil {
		return cfg, fmt.Errorf("otlp: %w", err)
	}
	cfg.SpanProcessors = append(cfg.SpanProcessors, sp)
	log.Info("exporting traces over OTLP HTTP/protobuf (OTEL_EXPORTER_OTLP_*)")
	return cfg, nil
}

// shutdownTelemetry ends the trace and metric providers (span processors flush).
func shutdownTelemetry(tel *telemetry.Telemetry, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tel.Shutdown(ctx); err != nil {
		log.Warn("telemetry shutdown", "err", err)
	}
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
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	log.Info("serving metrics", "addr", "http://"+ln.Addr().String()+"/metrics")
	return func() { _ = srv.Close(); <-done }
}
