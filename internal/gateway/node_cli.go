package gateway

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// cliConfig is the CLI driver's share of the configuration, with the process
// environment vars.
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
