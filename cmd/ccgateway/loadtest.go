package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/internal/loadtest"
)

// loadtestKeysEnv names the variable holding the API keys of a load run (comma-
// separated). Keys are never flags: argv is visible to every user of the host.
const loadtestKeysEnv = "CCGATEWAY_LOADTEST_KEYS"

// cmdLoadtest drives a running gateway with concurrent chat clients and prints
// throughput, latency and first-delta percentiles, errors by code and RSS.
func cmdLoadtest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ccgateway loadtest", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	cfg := loadtest.Config{}
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the gateway's base URL")
	keysFile := fs.String("keys-file", "", "file with one API key a line (else $"+loadtestKeysEnv+", comma-separated)")
	fs.IntVar(&cfg.Clients, "clients", 10, "concurrent clients (connections); client i uses key i mod the number of keys")
	fs.StringVar(&cfg.Transport, "transport", loadtest.SSE, "rest, sse or ws (one socket per client)")
	fs.StringVar(&cfg.Mode, "mode", loadtest.Continued, "new (every request starts a conversation) or continued (each client continues its own)")
	fs.DurationVar(&cfg.Duration, "duration", 0, "how long to issue requests (with -requests: whichever ends first)")
	fs.IntVar(&cfg.Requests, "requests", 0, "measured requests in all")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second over all clients (0 = as fast as answered)")
	fs.StringVar(&cfg.Message, "message", "Say hello.", "the user message of every request")
	fs.StringVar(&cfg.Model, "model", "", "model id (default: the gateway's default model)")
	fs.IntVar(&cfg.MaxTokens, "max-tokens", 0, "max_tokens of every request (0 = none)")
	fs.DurationVar(&cfg.Timeout, "timeout", 5*time.Minute, "deadline of one request")
	fs.IntVar(&cfg.GatewayPID, "gateway-pid", 0, "sample the RSS of this process (the gateway) and its descendants (the CLIs)")
	fs.DurationVar(&cfg.SampleEvery, "sample-every", 500*time.Millisecond, "RSS sampling interval")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys, err := loadtestKeys(*keysFile, e.vars)
	if err != nil {
		return err
	}
	cfg.Keys = keys
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return fmt.Errorf("loadtest: %w", err)
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	rep.WriteText(e.stdout)
	return nil
}

func loadtestKeys(file string, vars []string) ([]string, error) {
	var raw string
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("loadtest: keys file: %w", err)
		}
		raw = strings.ReplaceAll(string(b), "\n", ",")
	} else {
		for _, v := range vars {
			if val, ok := strings.CutPrefix(v, loadtestKeysEnv+"="); ok {
				raw = val
			}
		}
	}
	var keys []string
	for _, k := range strings.Split(raw, ",") {
		if k = strings.TrimSpace(k); k != "" {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, errors.New("loadtest: no API keys: give -keys-file or " + loadtestKeysEnv)
	}
	return keys, nil
}
