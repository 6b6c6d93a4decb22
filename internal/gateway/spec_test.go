package gateway

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// specVersion matches cmd/ccgateway's: the committed spec's info.version.
const specVersion = "1.0.0"

// TestCommittedSpecIsFresh fails when openapi/ differs from what the code
// generates: run `make openapi` and commit the result.
func TestCommittedSpecIsFresh(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	v31, v30, err := SpecFiles(specVersion)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"openapi.yaml": v31, "openapi-3.0.yaml": v30} {
		got, err := os.ReadFile(filepath.Join(root, "openapi", name))
		if err != nil {
			t.Fatalf("%v: run `make openapi`", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("openapi/%s is stale: run `make openapi` and commit it", name)
		}
	}
}

func TestSpec30HasNo31Leftovers(t *testing.T) {
	t.Parallel()
	_, v30, err := SpecFiles(specVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"const:", "contentMediaType", "$schema"} {
		if bytes.Contains(v30, []byte(bad)) {
			t.Errorf("the 3.0 copy still contains %q", bad)
		}
	}
	if !bytes.Contains(v30, []byte("openapi: 3.0.3")) {
		t.Error("the 3.0 copy does not declare openapi 3.0.3")
	}
}
