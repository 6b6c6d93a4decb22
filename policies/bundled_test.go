package policies

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestBundledAreFresh rebuilds the bundled policies with scripts/build-plugins.sh
// and fails when a committed module differs: run the script and commit the result.
func TestBundledAreFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("builds three wasm modules")
	}
	built, err := os.ReadFile("bundled/GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.TrimSpace(string(built)); v != runtime.Version() {
		t.Skipf("bundled modules were built with %s, this is %s: builds are only comparable with the same toolchain", v, runtime.Version())
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", filepath.Join("..", "scripts", "build-plugins.sh"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build-plugins.sh: %v\n%s", err, out)
	}
	for _, name := range []string{RateLimit, Permissions, TimeWindow} {
		fresh, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		committed, err := os.ReadFile(filepath.Join("bundled", name+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(fresh, committed) {
			t.Errorf("policies/bundled/%s.wasm is stale: run scripts/build-plugins.sh and commit it", name)
		}
	}
}

// TestExampleIsNotEmbedded: the production binary carries the default chain's
// modules, not the example policy's.
func TestExampleIsNotEmbedded(t *testing.T) {
	for _, name := range []string{RateLimit, Permissions} {
		if _, err := BundledWasm(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := BundledWasm(TimeWindow); err == nil {
		t.Errorf("%s is embedded in the binary", TimeWindow)
	}
}
