package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"

	adminweb "github.com/ccgateway/ccgateway/admin-web"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// startupNotes logs what an operator needs at start: the admin console's URL (or
// that this binary was built without it), and a warning when the CLI has no
// credentials (every turn would fail "Not logged in"; until now only /readyz said
// so).
func startupNotes(log *slog.Logger, base string, cli claudecli.Config) {
	if _, err := fs.Stat(adminweb.Files(), "index.html"); err == nil {
		log.Info("admin console", "url", base+"/console/")
	} else {
		log.Info("admin console not built into this binary (make build); the admin API is served", "login", base+"/admin/login")
	}
	if !claudecli.CredentialsConfigured(cli.Env) {
		log.Warn("no CLI credentials: every chat turn will fail until the gateway's environment has CLAUDE_CODE_OAUTH_TOKEN (from `claude setup-token`) or ANTHROPIC_API_KEY",
			"check", base+"/readyz")
	}
}

// telemetryConfig adds the OTLP trace exporter when the standard OTEL_EXPORTER_OTLP_*
// variables ask for it.
func telemetryConfig(ctx context.Context, vars []string, node string, log *slog.Logger) (telemetry.Config, error) {
	cfg := telemetry.Config{Version: version, Node: node}
	for _, kv := range vars {
		if v, ok := strings.CutPrefix(kv, "OTEL_SERVICE_NAME="); ok && v != "" {
			cfg.ServiceName = v
		}
	}
	if !telemetry.OTLPEnabled(vars) {
		return cfg, nil
	}
	sp, err := telemetry.NewOTLPProcessor(ctx, vars)
	if err != nil {
		return cfg, fmt.Errorf("otlp: %w", err)
	}
	cfg.SpanProcessors = append(cfg.SpanProcessors, sp)
	log.Info("exporting traces over OTLP HTTP/protobuf (OTEL_EXPORTER_OTLP_*)")
	return cfg, nil
}
