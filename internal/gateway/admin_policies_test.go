package gateway

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
)

// adminDo sends an admin request and returns the status and body.
func (g *gateway) adminDo(t *testing.T, method, path string, body any) (*http.Response, []byte) {
	t.Helper()
	return g.do(context.Background(), method, path, g.adminToken(), body)
}

// forbiddenImportWasm is a module importing env.foo; emptyWasm exports nothing.
var (
	forbiddenImportWasm = []byte{0, 'a', 's', 'm', 1, 0, 0, 0,
		1, 4, 1, 0x60, 0, 0, // type section: () -> ()
		2, 11, 1, 3, 'e', 'n', 'v', 3, 'f', 'o', 'o', 0, 0} // import env.foo
	emptyWasm = []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
)

// hourOutsideNow returns an allowed_hours_utc spec that excludes the current hour.
func hourOutsideNow() string { return fmt.Sprint((time.Now().UTC().Hour() + 12) % 24) }

func TestPolicyUploadActivateRollback(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	key, _ := g.newKey(store.KeyActive)
	timewindow, err := os.ReadFile(filepath.Join("..", "..", "policies", "bundled", policies.TimeWindow+".wasm")) // not embedded
	if err != nil {
		t.Fatal(err)
	}
	if st, p := g.admitOnly(t, key, api.ChatRequest{}); st != http.StatusNotFound {
		t.Fatalf("before upload: %d %+v", st, p)
	}
	t.Run("refused uploads name what failed", func(t *testing.T) {
		cases := []struct {
			name string
			up   admin.PolicyUpload
			code string
		}{
			{"forbidden import", admin.PolicyUpload{Name: "bad", Wasm: forbiddenImportWasm}, api.CodePolicyForbiddenImport},
			{"missing export", admin.PolicyUpload{Name: "bad", Wasm: emptyWasm}, api.CodePolicyMissingExport},
			{"not wasm", admin.PolicyUpload{Name: "bad", Wasm: []byte("not a module")}, api.CodePolicyInvalid},
			{"failing self-test", admin.PolicyUpload{Name: "timewindow", Wasm: timewindow,
				Config: []byte(`{"allowed_hours_utc":"9-17"}`),
				Tests:  []admin.PolicyTestCase{{Name: "at night", Input: []byte(`{"now_ms":1699920000000}`), Allow: true}}},
				api.CodePolicySelfTestFailed},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				resp, b := g.adminDo(t, "POST", "/admin/policies", tc.up)
				p := decodeProblem(t, resp, b)
				if resp.StatusCode != http.StatusUnprocessableEntity || p.Code != tc.code || p.Detail == "" {
					t.Fatalf("%d %q %q, want 422 %q", resp.StatusCode, p.Code, p.Detail, tc.code)
				}
			})
		}
	})
	t.Run("upload changes the next decision", func(t *testing.T) {
		resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{
			Name: "timewindow", Wasm: timewindow, Activate: true,
			Config: []byte(fmt.Sprintf(`{"allowed_hours_utc":%q}`, hourOutsideNow())),
			Tests:  []admin.PolicyTestCase{{Name: "noon allowed by key", Input: []byte(`{"key":{"metadata":{"allowed_hours_utc":"12"}},"now_ms":1699963230000}`), Allow: true}},
		})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
		if v := decode[admin.PolicyVersionBody](t, b); v.Version != 1 || !v.Active || len(v.Tests) != 1 {
			t.Fatalf("version %+v", v)
		}
		if loc := resp.Header.Get("Location"); loc != "/admin/policies/timewindow/versions" {
			t.Errorf("Location %q", loc)
		}
		st, p := g.admitOnly(t, key, api.ChatRequest{})
		wantDenied(t, "outside the window", st, p, http.StatusTooManyRequests, "outside_time_window")
		_, b = g.adminDo(t, "GET", "/admin/policies", nil)
		list := decode[admin.PolicyList](t, b)
		if len(list.Chain) != 3 || list.Chain[2].Name != "timewindow" || list.Chain[2].Version != 1 {
			t.Fatalf("chain %+v", list.Chain)
		}
	})
	t.Run("a second version, then rollback restores the first", func(t *testing.T) {
		resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{Name: "timewindow", Wasm: timewindow,
			Activate: true, Config: []byte(`{"allowed_hours_utc":"0-24"}`)})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload v2: %d %s", resp.StatusCode, b)
		}
		if st, p := g.admitOnly(t, key, api.ChatRequest{}); st != http.StatusNotFound {
			t.Fatalf("v2 allows every hour: %d %+v", st, p)
		}
		resp, b = g.adminDo(t, "POST", "/admin/policies/timewindow/rollback", nil)
		if resp.StatusCode != http.StatusOK || decode[admin.PolicyVersionBody](t, b).Version != 1 {
			t.Fatalf("rollback: %d %s", resp.StatusCode, b)
		}
		st, p := g.admitOnly(t, key, api.ChatRequest{})
		wantDenied(t, "v1 again", st, p, http.StatusTooManyRequests, "outside_time_window")
		resp, _ = g.adminDo(t, "POST", "/admin/policies/timewindow/rollback", nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("rollback of v1: %d", resp.StatusCode)
		}
		if st, p := g.admitOnly(t, key, api.ChatRequest{}); st != http.StatusNotFound {
			t.Fatalf("without timewindow: %d %+v", st, p)
		}
		resp, b = g.adminDo(t, "POST", "/admin/policies/timewindow/activate", admin.PolicyActivate{Version: 2})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("activate: %d %s", resp.StatusCode, b)
		}
		_, b = g.adminDo(t, "GET", "/admin/policies/timewindow/versions", nil)
		if vs := decode[admin.PolicyVersionList](t, b).Items; len(vs) != 2 || vs[0].Active || !vs[1].Active {
			t.Fatalf("versions %+v", vs)
		}
	})
	t.Run("delete and audit", func(t *testing.T) {
		resp, _ := g.adminDo(t, "DELETE", "/admin/policies/timewindow", nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("delete: %d", resp.StatusCode)
		}
		entries, _, err := g.st.ListAudit(context.Background(), store.AuditFilter{Target: "policy/timewindow"})
		if err != nil {
			t.Fatal(err)
		}
		actions := map[string]int{}
		for _, e := range entries {
			actions[e.Action]++
		}
		if actions["policy.create"] != 2 || actions["policy.rollback"] != 2 || actions["policy.activate"] != 1 || actions["policy.delete"] != 1 {
			t.Fatalf("audit actions %v", actions)
		}
	})
	t.Run("dry run", func(t *testing.T) {
		resp, b := g.adminDo(t, "POST", "/admin/policies/permissions/test", admin.PolicyDryRun{
			Input: []byte(`{"request":{"model":"opus","tools":["Bash"]},"key":{"tools":["Read"]}}`)})
		if d := decode[admin.PolicyDecision](t, b); resp.StatusCode != http.StatusOK || d.Allow || d.Code != "tool_not_allowed" || d.Version != 0 {
			t.Fatalf("dry run: %d %s", resp.StatusCode, b)
		}
	})
}
