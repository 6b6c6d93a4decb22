// Package lint holds the OpenAPI lint test: the committed spec is checked with the
// Redocly CLI (recommended rules) and Spectral (spectral:oas), pinned in
// package.json and installed by `make openapi-tools` into .tools/openapi-lint.
package lint

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// knownFile lists the findings the spec still has, one per line
// ("tool severity rule location"). The test fails on any finding not listed (a new
// defect) and on any listed finding that no longer occurs (remove it): the list only
// shrinks, and it is empty when the spec lints clean.
const knownFile = "known-findings.txt"

func TestSpecLints(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, ".tools", "openapi-lint", "node_modules", ".bin")
	for _, tool := range []string{"redocly", "spectral"} {
		if _, err := os.Stat(filepath.Join(bin, tool)); err != nil {
			t.Fatalf("%s is not installed: run `make openapi-tools` (%v)", tool, err)
		}
	}
	spec := filepath.Join(root, "openapi", "openapi.yaml")
	compare(t, "redocly ", redocly(t, bin, spec))
	compare(t, "spectral ", spectral(t, bin, spec))
}

// compare checks a tool's findings against the known ones that start with prefix.
func compare(t *testing.T, prefix string, got []string) {
	t.Helper()
	slices.Sort(got)
	var known []string
	for _, f := range readKnown(t) {
		if strings.HasPrefix(f, prefix) {
			known = append(known, f)
		}
	}
	for _, f := range got {
		if !slices.Contains(known, f) {
			t.Errorf("new finding: %s", f)
		}
	}
	for _, f := range known {
		if !slices.Contains(got, f) {
			t.Errorf("fixed, remove it from openapi/lint/%s: %s", knownFile, f)
		}
	}
	t.Logf("%s: %d findings (%d known)", strings.TrimSpace(prefix), len(got), len(known))
}

func redocly(t *testing.T, bin, spec string) []string {
	cmd := exec.Command(filepath.Join(bin, "redocly"), "lint", "--config", "redocly.yaml", "--format", "json", spec)
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.Output() // exits 1 when it finds errors
	var report struct {
		Problems []struct {
			RuleID   string `json:"ruleId"`
			Severity string `json:"severity"`
			Location []struct {
				Pointer string `json:"pointer"`
			} `json:"location"`
		} `json:"problems"`
	}
	if jerr := json.Unmarshal(jsonPart(out), &report); jerr != nil {
		t.Fatalf("redocly: %v (%v)\n%s", jerr, err, out)
	}
	var fs []string
	for _, p := range report.Problems {
		loc := ""
		if len(p.Location) > 0 {
			loc = p.Location[0].Pointer
		}
		fs = append(fs, fmt.Sprintf("redocly %s %s %s", p.Severity, p.RuleID, loc))
	}
	return fs
}

func spectral(t *testing.T, bin, spec string) []string {
	cmd := exec.Command(filepath.Join(bin, "spectral"), "lint", "--ruleset", ".spectral.yaml", "--format", "json", "--quiet", spec)
	out, err := cmd.Output() // exits 1 when it finds errors
	var report []struct {
		Code     string `json:"code"`
		Severity int    `json:"severity"`
		Path     []any  `json:"path"`
	}
	if jerr := json.Unmarshal(jsonPart(out), &report); jerr != nil {
		t.Fatalf("spectral: %v (%v)\n%s", jerr, err, out)
	}
	severity := []string{"error", "warn", "info", "hint"}
	var fs []string
	for _, p := range report {
		path := make([]string, len(p.Path))
		for i, e := range p.Path {
			path[i] = strings.ReplaceAll(strings.ReplaceAll(fmt.Sprint(e), "~", "~0"), "/", "~1")
		}
		fs = append(fs, fmt.Sprintf("spectral %s %s #/%s", severity[min(p.Severity, 3)], p.Code, strings.Join(path, "/")))
	}
	return fs
}

// jsonPart drops anything a tool prints before its JSON report.
func jsonPart(out []byte) []byte {
	if i := bytes.IndexAny(out, "{["); i > 0 {
		return out[i:]
	}
	return out
}

func readKnown(t *testing.T) []string {
	f, err := os.Open(knownFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var known []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			known = append(known, line)
		}
	}
	return known
}
