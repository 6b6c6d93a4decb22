package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/ccgateway/ccgateway/policies"
)

// cmdPolicy holds the tools for policy authors.
func cmdPolicy(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "test" {
		return errors.New("policy: want a subcommand: test FILE.wasm --input req.json")
	}
	return policyTest(ctx, e, args[1:])
}

// policyTest loads a module as an upload would be checked (compile, imports,
// exports, abi_version), evaluates one input on it and prints the decision JSON.
func policyTest(ctx context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ccgateway policy test", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	input := fs.String("input", "", "a policy input (ABI v1 JSON: request, key, counters, now_ms, config); - reads stdin")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "Usage: ccgateway policy test FILE.wasm --input req.json")
		fs.PrintDefaults()
	}
	var file string
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if file == "" && fs.NArg() == 1 {
		file = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("policy test: unexpected arguments %q", fs.Args())
	}
	if file == "" || *input == "" {
		fs.Usage()
		return errors.New("policy test: want FILE.wasm and --input")
	}
	wasm, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("policy test: %w", err)
	}
	var in []byte
	if *input == "-" {
		in, err = readAll(e)
	} else {
		in, err = os.ReadFile(*input)
	}
	if err != nil {
		return fmt.Errorf("policy test: %w", err)
	}
	out, err := policies.TryFile(ctx, wasm, in)
	if err != nil {
		return fmt.Errorf("policy test: %w", err)
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func readAll(e *env) ([]byte, error) {
	if e.stdin == nil {
		return nil, errors.New("no stdin")
	}
	return io.ReadAll(e.stdin)
}
