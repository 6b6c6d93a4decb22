package main

import (
	"io/fs"
	"log/slog"

	adminweb "github.com/ccgateway/ccgateway/admin-web"
	"github.com/ccgateway/ccgateway/internal/claudecli"
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
