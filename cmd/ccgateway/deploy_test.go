package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func deployFile(t *testing.T, rel string) string {
	t.Helper()
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "docs", "deploy", rel)
}

func promtool(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is missing: .ci/run installs Debian's prometheus package")
		}
		t.Skip("promtool not installed (apt-get install prometheus); CI runs this test")
	}
	return p
}

// TestAlertRules checks docs/deploy/prometheus's rules with promtool and runs their
// unit tests (an alert that must fire, and one that must not).
func TestAlertRules(t *testing.T) {
	pt := promtool(t)
	rules := deployFile(t, "prometheus/ccgateway-alerts.yml")
	if out, err := exec.Command(pt, "check", "rules", rules).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	cmd := exec.Command(pt, "test", "rules", "ccgateway-alerts_test.yml")
	cmd.Dir = filepath.Dir(rules)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}

// TestDeployFilesMatchTheGateway: every ccgateway metric the alert rules and the
// Grafana dashboard query exists on a live gateway's /metrics after a chat turn,
// and every CCGATEWAY_ variable of the env example is a real setting.
func TestDeployFilesMatchTheGateway(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	k := createKey(t, data)
	_, base, logs := startServe(t, env, "--data-dir", data, "--prewarm", "0", "--cli-memory-budget", "2GiB")
	req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(`{"message":"hi"}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("chat: %d\n%s", resp.StatusCode, logs)
	}
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	exposed := map[string]bool{}
	for _, line := range strings.Split(string(metrics), "\n") {
		if name, _, ok := strings.Cut(line, " "); ok && !strings.HasPrefix(line, "#") {
			name, _, _ = strings.Cut(name, "{")
			exposed[name] = true
		}
	}
	// Counters of rare events appear on /metrics only once one happened; they must
	// at least be documented.
	ops, _ := os.ReadFile(filepath.Join(filepath.Dir(deployFile(t, "")), "operations.md"))
	for _, m := range []string{"ccgateway_policy_errors_total"} {
		if strings.Contains(string(ops), "`"+m+"`") {
			exposed[m] = true
		}
	}
	metricRef := regexp.MustCompile(`\b(ccgateway_[a-z_]+|process_resident_memory_bytes)\b`)
	for _, f := range []string{"prometheus/ccgateway-alerts.yml", "grafana/ccgateway-dashboard.json"} {
		b, err := os.ReadFile(deployFile(t, f))
		if err != nil {
			t.Fatal(err)
		}
		refs := metricRef.FindAllString(string(b), -1)
		if len(refs) == 0 {
			t.Fatalf("%s queries no ccgateway metric", f)
		}
		for _, m := range refs {
			if !exposed[m] {
				t.Errorf("%s queries %s, which /metrics does not expose", f, m)
			}
		}
	}

	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, _ := os.ReadFile(deployFile(t, "grafana/ccgateway-dashboard.json"))
	if err := json.Unmarshal(b, &dash); err != nil || len(dash.Panels) == 0 {
		t.Fatalf("dashboard JSON: %v, %d panels", err, len(dash.Panels))
	}
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 || p.Targets[0].Expr == "" {
			t.Errorf("panel %q has no query", p.Title)
		}
	}

	help, _ := exec.Command(binary(t), "serve", "--help").CombinedOutput()
	b, _ = os.ReadFile(deployFile(t, "systemd/ccgateway.env.example"))
	for _, v := range regexp.MustCompile(`(?m)^#?(CCGATEWAY_[A-Z_]+)=`).FindAllStringSubmatch(string(b), -1) {
		if !strings.Contains(string(help), v[1]) {
			t.Errorf("ccgateway.env.example sets %s, which serve --help does not know", v[1])
		}
	}
	unit, _ := os.ReadFile(deployFile(t, "systemd/ccgateway.service"))
	for _, want := range []string{"ExecStart=/usr/local/bin/ccgateway serve", "EnvironmentFile=/etc/ccgateway/ccgateway.env", "KillSignal=SIGTERM"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("ccgateway.service lacks %q", want)
		}
	}
}
