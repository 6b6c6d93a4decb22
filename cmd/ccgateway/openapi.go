package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ccgateway/ccgateway/internal/gateway"
)

// specVersion is the API version written into the committed spec; it is not the
// build's version, so that the spec does not change with every build.
const specVersion = "1.0.0"

// cmdOpenAPI writes the generated OpenAPI documents.
func cmdOpenAPI(_ context.Context, e *env, args []string) error {
	fs := flag.NewFlagSet("ccgateway openapi", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	dir := fs.String("out", "openapi", "directory to write openapi.yaml and openapi-3.0.yaml into")
	if err := fs.Parse(args); err != nil {
		return err
	}
	v31, v30, err := gateway.SpecFiles(specVersion)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{"openapi.yaml": v31, "openapi-3.0.yaml": v30} {
		if err := os.WriteFile(filepath.Join(*dir, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "wrote %s/openapi.yaml and %s/openapi-3.0.yaml\n", *dir, *dir)
	return nil
}
