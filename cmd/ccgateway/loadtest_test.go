package main

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/loadtest"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestLoadtestAgainstServe runs `ccgateway loadtest` against a real gateway with
// the real CLI: every request is answered, first deltas are timed, and the CLIs'
// memory is sampled under the gateway's pid.
func TestLoadtestAgainstServe(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	var keys []string
	for i := range 2 {
		out, err := exec.Command(binary(t), "keys", "create", "--name", fmt.Sprintf("load%d", i), "--json", "--data-dir", data).Output()
		if err != nil {
			t.Fatal(err)
		}
		var k newKeyJSON
		_ = json.Unmarshal(out, &k)
		keys = append(keys, k.Key)
	}
	cmd, base, logs := startServe(t, env, "--data-dir", data, "--prewarm", "0")
	for _, tr := range []string{loadtest.SSE, loadtest.WebSocket} {
		t.Run(tr, func(t *testing.T) {
			lt := exec.Command(binary(t), "loadtest", "--url", base, "--clients", "2", "--requests", "4", "--transport", tr,
				"--mode", "continued", "--json", "--gateway-pid", fmt.Sprint(cmd.Process.Pid), "--sample-every", "50ms")
			lt.Env = append(env, "CCGATEWAY_LOADTEST_KEYS="+strings.Join(keys, ","))
			out, err := lt.Output()
			if err != nil {
				t.Fatalf("loadtest: %v\n%s\n%s", err, out, logs)
			}
			var rep loadtest.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				t.Fatalf("report %q: %v", out, err)
			}
			if rep.OK != 4 || rep.Failed != 0 || rep.Setup != 2 || rep.TTFT.Count != 4 {
				t.Fatalf("report %+v\n%s", rep, logs)
			}
			if rep.Memory.GatewayPeak == 0 || rep.Memory.CLIProcsPeak < 1 || rep.Memory.CLIPeak < 10<<20 {
				t.Fatalf("memory %+v: want the gateway's and its CLIs' RSS", rep.Memory)
			}
		})
	}
	// Without keys the tool refuses to start.
	lt := exec.Command(binary(t), "loadtest", "--url", base, "--requests", "1")
	lt.Env = env
	if out, err := lt.CombinedOutput(); err == nil || !strings.Contains(string(out), "CCGATEWAY_LOADTEST_KEYS") {
		t.Fatalf("loadtest without keys: %v\n%s", err, out)
	}
}
