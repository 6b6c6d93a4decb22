// Command ccgateway serves the Claude Code CLI as a multi-tenant HTTP API.
//
// Subcommands: serve, migrate, openapi, keys, admin, policy. Run
// `ccgateway <subcommand> --help` for each one's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "ccgateway:", err)
		os.Exit(1)
	}
}
