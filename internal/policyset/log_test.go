package policyset

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/internal/testkit"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// fixtureWasm builds the policies package's test guest (policies/testdata/src/
// fixture) as the bundled policies are built.
func fixtureWasm(t *testing.T) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "fixture.wasm")
	cmd := exec.Command("go", "build", "-buildmode=c-shared", "-trimpath", "-buildvcs=false",
		"-ldflags=-s -w -buildid=", "-o", out, "../../policies/testdata/src/fixture")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0", "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build fixture: %v\n%s", err, b)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestPolicyLogLinesUseTheGatewayLogger replays issue 13 item 13: a policy's log
// line carrying a key string went to the default text logger verbatim. Built as
// serve builds it (no engine logger of its own), the manager sends guest lines
// through the gateway's JSON logger: redacted, tagged with the policy's name and
// version.
func TestPolicyLogLinesUseTheGatewayLogger(t *testing.T) {
	logs := &testkit.SyncBuffer{}
	st := newStore(t)
	m, err := New(context.Background(), st, Config{Engine: policies.Config{CacheDir: cacheDir, CallTimeout: 5 * time.Second}},
		telemetry.NewLogger(logs, "info"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Close(context.Background()) })
	pv := create(t, m, &Upload{Name: "chatty", Wasm: fixtureWasm(t), Activate: true, CreatedBy: "test"})
	const key = "sk-ccg-AbCdEfGh0123456789abcdefgh"
	d, err := m.Registry().Evaluate(context.Background(), &abi.Input{Request: abi.Request{Endpoint: "logmodel", Model: key}})
	if err != nil || !d.Allow {
		t.Fatalf("evaluate: %+v %v", d, err)
	}
	out := logs.String()
	if strings.Contains(out, key) {
		t.Fatalf("the key reached the log: %s", out)
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("not a JSON log line: %q", l)
		}
		if rec["msg"] == "policy log" {
			line = rec
		}
	}
	if line == nil {
		t.Fatalf("no policy log line in %s", out)
	}
	if line["policy"] != "chatty" || line["version"] != float64(pv.Version) ||
		line["line"] != "fixture saw model [redacted]" {
		t.Fatalf("policy log line %v", line)
	}
}
