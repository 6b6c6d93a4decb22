package ccgateway_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestGeneratedClientIsFresh regenerates client.gen.go from the committed 3.0 spec
// with the oapi-codegen go.mod pins and fails when the committed copy differs:
// run `make generate` and commit the result.
func TestGeneratedClientIsFresh(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "client.gen.go")
	cmd := exec.Command("go", "tool", "oapi-codegen", "-generate", "types,client", "-package", "ccgateway", "-o", out, "openapi/openapi-3.0.yaml")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, "openapi", "go", "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("openapi/go/client.gen.go is stale: run `make generate` and commit it")
	}
}
