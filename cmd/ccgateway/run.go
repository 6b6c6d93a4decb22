package main

import (
	"context"
	"fmt"
	"io"
)

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, e *env, args []string) error
}

// env is what a subcommand may touch of the outside world; tests supply their own.
type env struct {
	vars   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

var commands = []command{
	{"serve", "serve the HTTP API (default)", cmdServe},
	{"migrate", "apply database migrations and exit", cmdMigrate},
	{"openapi", "write openapi/openapi.yaml (3.1) and openapi/openapi-3.0.yaml", cmdOpenAPI},
	{"keys", "manage API keys: keys create --name N [--json], keys list", cmdKeys},
	{"admin", "manage local admins: admin set-password --username U (password on stdin)", cmdAdmin},
	{"policy", "policy authors: policy test FILE.wasm --input req.json prints the decision", cmdPolicy},
	{"loadtest", "drive a running gateway with concurrent chat clients and report latency, errors and RSS", cmdLoadtest},
}

// run dispatches to the subcommand named by args[0].
func run(ctx context.Context, args, vars []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := &env{vars: vars, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		usage(stdout)
		return nil
	}
	name := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		name, args = args[0], args[1:]
	}
	for _, c := range commands {
		if c.name == name {
			return c.run(ctx, e, args)
		}
	}
	if name == "help" {
		usage(stdout)
		return nil
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", name)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: ccgateway <command> [flags]   (no command: serve)\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nRun `ccgateway <command> --help` for a command's flags.")
}
