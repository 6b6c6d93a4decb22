package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
)

// TestAdminKeyToolGrants checks that the admin API accepts exactly the tool grants
// the CLI driver can run (claudecli.ValidateTool), on create and on update.
func TestAdminKeyToolGrants(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	ctx := context.Background()

	grant := []string{"Read", "Bash(git status:*)"}
	r, b := g.do(ctx, "POST", "/admin/api-keys", adminTok, map[string]any{"name": "tools", "tools": grant})
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("create with %q: %d %s", grant, r.StatusCode, b)
	}
	created := decode[admin.APIKeyBody](t, b)
	if strings.Join(created.Tools, "|") != "Read|Bash(git status:*)" {
		t.Errorf("tools = %q", created.Tools)
	}

	for _, tc := range []struct {
		tools []string
		field string
		why   string
	}{
		{[]string{"Read", "Frobnicate"}, "body.tools[1]", "not a built-in tool"},
		{[]string{"rm -rf"}, "body.tools[0]", "not a built-in tool"},
		{[]string{"Bash(git diff,status)"}, "body.tools[0]", "commas"},
		{[]string{"Bash(git status:*"}, "body.tools[0]", "ends with ')'"},
		{[]string{"Bash()"}, "body.tools[0]", "1..200"},
	} {
		for _, method := range []string{"POST", "PUT"} {
			path, body := "/admin/api-keys", map[string]any{"name": "x", "tools": tc.tools}
			if method == "PUT" {
				path, body = path+"/"+created.ID, map[string]any{"tools": tc.tools}
			}
			r, b := g.do(ctx, method, path, adminTok, body)
			p := decodeProblem(t, r, b)
			if r.StatusCode != http.StatusUnprocessableEntity || p.Code != api.CodeValidationFailed ||
				!strings.Contains(string(b), tc.field) || !strings.Contains(string(b), tc.why) {
				t.Errorf("%s %q: got %d %s, want 422 naming %s (%s)", method, tc.tools, r.StatusCode, b, tc.field, tc.why)
			}
		}
	}
}
