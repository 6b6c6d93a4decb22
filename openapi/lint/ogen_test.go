package lint

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestOgenGeneratesAndCompiles generates a client with ogen (pinned in the small
// module openapi/ogen, so its dependencies stay out of the gateway's go.mod) into a
// temporary copy of that module and compiles it. Findings (the ogen lines of
// known-findings.txt) are what still fails: one line per response type the compiler
// rejects.
func TestOgenGeneratesAndCompiles(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(root, "openapi", "ogen")
	tmp := t.TempDir()
	for _, f := range []string{"go.mod", "go.sum"} {
		b, err := os.ReadFile(filepath.Join(mod, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run := func(dir string, args ...string) ([]byte, error) {
		cmd := exec.Command("go", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		return cmd.CombinedOutput()
	}
	if out, err := run(mod, "tool", "ogen", "--config", "ogen.yml", "--target", filepath.Join(tmp, "client"), "--package", "client", "--clean",
		filepath.Join(root, "openapi", "openapi.yaml")); err != nil {
		t.Fatalf("ogen cannot generate a client: %v\n%s", err, tail(out))
	}
	if out, err := run(tmp, "mod", "tidy"); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	out, err := run(tmp, "build", "./client")
	var got []string
	if err != nil {
		for _, m := range regexp.MustCompile(`\(type (\w+) has no field or method (\w+)\)`).FindAllStringSubmatch(string(out), -1) {
			f := fmt.Sprintf("ogen compile %s.%s", m[1], m[2])
			if !slices.Contains(got, f) {
				got = append(got, f)
			}
		}
		if len(got) == 0 {
			t.Fatalf("the ogen client does not compile:\n%s", tail(out))
		}
	}
	compare(t, "ogen ", got)
}

func tail(b []byte) []byte {
	if len(b) > 4000 {
		return b[len(b)-4000:]
	}
	return b
}
