package gateway

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// conformance checks every response the gateways of this package's tests send
// against the committed spec; TestMain fails the run on a finding that
// openapi/lint/known-findings.txt does not list.
var conformance = func() *testkit.Conformance {
	c, err := testkit.SpecConformance()
	if err != nil {
		panic(err)
	}
	return c
}()

func TestMain(m *testing.M) {
	code := m.Run()
	if c := checkConformance(); code == 0 {
		code = c
	}
	os.Exit(code)
}

// checkConformance reports findings that are not known, and, on a full run (no
// -run filter), known ones that no longer occur.
func checkConformance() int {
	fresh, err := conformance.NewFindings()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := 0
	for _, f := range fresh {
		fmt.Fprintf(os.Stderr, "FAIL: a response differs from the spec: %s\n", f)
		code = 1
	}
	if run := flag.Lookup("test.run"); run == nil || run.Value.String() != "" || testing.Short() {
		return code
	}
	known, err := testkit.KnownFindings("conformance ")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	seen := conformance.Findings()
	for _, f := range known {
		if !slices.Contains(seen, f) {
			fmt.Fprintf(os.Stderr, "FAIL: fixed, remove it from %s: %s\n", testkit.KnownFindingsFile, f)
			code = 1
		}
	}
	return code
}
