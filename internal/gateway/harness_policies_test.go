package gateway

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
)

// withPolicies runs the gateway with the policy chain from its store, as serve
// does (bundled ratelimit and permissions unless admins changed them).
func withPolicies() gatewayOption {
	return func(cfg *config.Config, _ *claudecli.Config) { cfg.PolicyMemoryMB = -1 }
}

// policyCacheDir is wazero's compilation cache shared by the tests of all runs, so
// each module compiles once (the cache is keyed by module hash and wazero version).
func policyCacheDir() string { return filepath.Join(os.TempDir(), "ccgateway-test-policy-cache") }

// guestBuilds holds test guests built once per test binary.
var guestBuilds sync.Map // dir -> *guestBuild

type guestBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

// buildGuest builds the Go policy in testdata/<name> for wasip1, as
// scripts/build-plugins.sh builds the bundled ones.
func buildGuest(t *testing.T, name string) []byte {
	t.Helper()
	v, _ := guestBuilds.LoadOrStore(name, &guestBuild{})
	gb := v.(*guestBuild)
	gb.once.Do(func() {
		out := filepath.Join(os.TempDir(), "ccgateway-test-guest-"+name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false",
			"-ldflags=-s -w -buildid=", "-o", out, "./testdata/"+name)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		if b, err := cmd.CombinedOutput(); err != nil {
			gb.err = &buildError{name: name, out: string(b), err: err}
			return
		}
		gb.wasm, gb.err = os.ReadFile(out)
	})
	if gb.err != nil {
		t.Fatal(gb.err)
	}
	return gb.wasm
}

type buildError struct {
	name, out string
	err       error
}

func (e *buildError) Error() string { return "build " + e.name + ": " + e.err.Error() + "\n" + e.out }
