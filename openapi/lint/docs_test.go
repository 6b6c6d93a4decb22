package lint

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestPolicyUploadCommandFromDocs runs the upload command of docs/policies.md, as
// written, on a real module (a bundled policy, megabytes of base64) against a
// running gateway.
func TestPolicyUploadCommandFromDocs(t *testing.T) {
	for _, tool := range []string{"bash", "jq", "curl", "base64"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is needed to run the documented command: %v", tool, err)
		}
	}
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(filepath.Join(root, "docs", "policies.md"))
	if err != nil {
		t.Fatal(err)
	}
	var command string
	for _, block := range strings.Split(string(doc), "```sh\n")[1:] {
		block, _, _ = strings.Cut(block, "```")
		if strings.Contains(block, "nightowl.wasm") && strings.Contains(block, "/admin/policies") {
			command = block
		}
	}
	if command == "" {
		t.Fatal("docs/policies.md has no upload command for nightowl.wasm")
	}
	gw := testkit.StartGateway(t)
	dir := t.TempDir()
	wasm, err := os.ReadFile(filepath.Join(root, "policies", "bundled", "timewindow.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "nightowl.wasm"), wasm, 0o644); err != nil {
		t.Fatal(err)
	}
	login, _ := json.Marshal(map[string]string{"username": "admin", "password": testkit.AdminPassword})
	resp, err := http.Post(gw.URL+"/admin/login", "application/json", bytes.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Token string }
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()

	cmd := exec.Command("bash", "-euo", "pipefail", "-c", strings.ReplaceAll(command, "localhost:8080", gw.URL))
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "TOKEN="+tok.Token)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the documented command failed: %v\n%s", err, out)
	}
	var version struct {
		Name      string `json:"name"`
		Version   int    `json:"version"`
		Active    bool   `json:"active"`
		SizeBytes int    `json:"size_bytes"`
	}
	if err := json.Unmarshal(out, &version); err != nil || version.Name != "nightowl" || version.Version != 1 || !version.Active || version.SizeBytes != len(wasm) {
		t.Fatalf("the upload answered %s (%v)", out, err)
	}
}
