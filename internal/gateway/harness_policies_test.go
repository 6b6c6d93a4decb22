package gateway

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/policies"
)

// withPolicies runs the gateway with the policy chain from its store, as serve
// does (bundled ratelimit and permissions unless admins changed them).
func withPolicies() gatewayOption {
	return func(cfg *config.Config, _ *claudecli.Config) { cfg.PolicyMemoryMB = -1 }
}

// policyCacheDir is wazero's compilation cache shared by the tests of all runs, so
// each module compiles once (the cache is keyed by module hash and wazero version).
func policyCacheDir() string { return filepath.Join(os.TempDir(), "ccgateway-test-policy-cache") }

// startPolicies loads the chain from the store, as serve does.
func (g *gateway) startPolicies() {
	g.t.Helper()
	aliases := map[string]string{}
	for _, m := range g.cfg.Models {
		for _, a := range m.Aliases {
			aliases[a] = m.ID
		}
	}
	m, err := policyset.New(context.Background(), g.st, policyset.Config{
		Engine: policies.Config{CacheDir: policyCacheDir(), CallTimeout: g.cfg.PolicyCallTimeout,
			MemoryLimitPages: uint32(g.cfg.PolicyMemoryMB) * 16, Observer: actors.PolicyObserver(g.tel)},
		PermissionsConfig: policyset.PermissionsConfig(aliases, g.cfg.PolicyMaxTokensMode),
	}, g.log)
	if err != nil {
		g.t.Fatal(err)
	}
	g.policies = m
}

func (g *gateway) closePolicies() {
	if g.policies == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.policies.Close(ctx)
}

// registry is the chain's registry, or nil when the gateway runs without policies.
func (g *gateway) registry() *policies.Registry {
	if g.policies == nil {
		return nil
	}
	return g.policies.Registry()
}

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
