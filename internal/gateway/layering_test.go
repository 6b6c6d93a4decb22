package gateway

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/ccgateway/ccgateway/"

// TestLayering keeps the import direction of docs/ARCHITECTURE.md visible:
// cmd -> api -> actors -> {policies, internal/*}, with the transports free of
// the CLI driver, the configuration loader and the storage and runtime
// libraries, and the route groups independent of each other.
func TestLayering(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \",\"}}|{{join .Deps \",\"}}", module+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	type pkg struct{ imports, deps []string }
	pkgs := map[string]pkg{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "|")
		pkgs[strings.TrimPrefix(f[0], module)] = pkg{strings.Split(f[1], ","), strings.Split(f[2], ",")}
	}
	for _, name := range []string{"api", "api/tenant", "api/compat", "api/admin", "actors", "policies", "internal/telemetry"} {
		if _, ok := pkgs[name]; !ok {
			t.Fatalf("package %s is missing from go list", name)
		}
	}
	transport := func(p string) bool { return p == "api" || strings.HasPrefix(p, "api/") }
	rules := []struct {
		why    string
		from   func(string) bool
		direct bool // Imports, else Deps
		banned []string
	}{
		{"transports translate only: no CLI driver, configuration loader, storage or runtime libraries",
			transport, true, []string{module + "internal/claudecli", module + "internal/config",
				"github.com/jackc/pgx/v5", "github.com/tetratelabs/wazero", "github.com/hashicorp/memberlist", "modernc.org/sqlite"}},
		{"the kernel does not know its route groups", func(p string) bool { return p == "api" }, false,
			[]string{module + "api/tenant", module + "api/compat", module + "api/admin"}},
		{"the compatible dialects and the admin API do not import each other", func(p string) bool { return p == "api/compat" }, false,
			[]string{module + "api/admin", module + "api/tenant"}},
		{"the admin API and the compatible dialects do not import each other", func(p string) bool { return p == "api/admin" }, false,
			[]string{module + "api/compat", module + "api/tenant"}},
		{"the tenant API stands alone", func(p string) bool { return p == "api/tenant" }, false,
			[]string{module + "api/compat", module + "api/admin"}},
		{"below api nothing knows HTTP routes", func(p string) bool {
			return p == "actors" || strings.HasPrefix(p, "actors/") || p == "policies" || strings.HasPrefix(p, "policies/") || p == "cluster"
		}, false, []string{module + "api", module + "internal/gateway", module + "internal/config"}},
		{"telemetry is a leaf: actors adapts the policy engine's events to it", func(p string) bool { return p == "internal/telemetry" }, false,
			[]string{module + "policies"}},
		{"only the node assembly and cmd put the layers together", func(p string) bool {
			return strings.HasPrefix(p, "internal/") && p != "internal/gateway"
		}, false, []string{module + "api", module + "actors"}},
	}
	for name, p := range pkgs {
		for _, r := range rules {
			if !r.from(name) {
				continue
			}
			list := p.deps
			if r.direct {
				list = p.imports
			}
			for _, dep := range list {
				for _, b := range r.banned {
					if dep == b || strings.HasPrefix(dep, b+"/") && r.direct {
						t.Errorf("%s imports %s: %s", name, strings.TrimPrefix(dep, module), r.why)
					}
				}
			}
		}
	}
}
