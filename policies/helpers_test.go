package policies

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// cacheDir is a compilation cache shared by the tests of one run, so each module
// compiles once.
var cacheDir, fixtureDir string

func TestMain(m *testing.M) {
	code := func() int {
		dir, err := os.MkdirTemp("", "policies-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		cacheDir, fixtureDir = filepath.Join(dir, "cache"), filepath.Join(dir, "fixtures")
		return m.Run()
	}()
	os.Exit(code)
}

func newTestEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = cacheDir
	}
	e, err := NewEngine(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

var fixtures sync.Map // name -> *fixtureBuild

type fixtureBuild struct {
	once sync.Once
	wasm []byte
	err  error
}

// fixture builds testdata/src/<name> with the same flags as the bundled policies
// (once per test run) and returns the module.
func fixture(t testing.TB, name string) []byte {
	t.Helper()
	v, _ := fixtures.LoadOrStore(name, &fixtureBuild{})
	fb := v.(*fixtureBuild)
	fb.once.Do(func() {
		out := filepath.Join(fixtureDir, name+".wasm")
		cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false",
			"-ldflags=-s -w -buildid=", "-o", out, "./testdata/src/"+name)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
		if b, err := cmd.CombinedOutput(); err != nil {
			fb.err = fmt.Errorf("build %s: %v\n%s", name, err, b)
			return
		}
		fb.wasm, fb.err = os.ReadFile(out)
	})
	if fb.err != nil {
		t.Fatal(fb.err)
	}
	return fb.wasm
}

func loadFixture(t testing.TB, e *Engine, mode FailureMode) *Policy {
	t.Helper()
	p, err := e.Load(context.Background(), Spec{Name: "fixture", Version: 1, Wasm: fixture(t, "fixture"), FailureMode: mode})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
