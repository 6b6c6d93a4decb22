package claudecli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// argAfter returns the argument after the first flag, or "" and false.
func argAfter(args []string, flag string) (string, bool) {
	i := slices.Index(args, flag)
	if i < 0 || i+1 >= len(args) {
		return "", false
	}
	return args[i+1], true
}

func TestToolArgs(t *testing.T) {
	t.Run("a grant becomes --tools names and --allowedTools rules", func(t *testing.T) {
		args := buildArgs(Spec{Tools: []string{"Read", "Bash(git status:*)", "Bash(git diff:*)"}}, "id", "")
		if v, _ := argAfter(args, "--tools"); v != "Read,Bash" {
			t.Errorf("--tools %q, want Read,Bash", v)
		}
		i := slices.Index(args, "--allowedTools")
		if i < 0 || !slices.Equal(args[i+1:i+4], []string{"Read", "Bash(git status:*)", "Bash(git diff:*)"}) ||
			!strings.HasPrefix(args[i+4], "--") {
			t.Errorf("--allowedTools not followed by exactly the grant: %q", args)
		}
		if !slices.Contains(args, "--restricted") {
			t.Errorf("no --restricted with tools granted: %q", args)
		}
		if v, _ := argAfter(args, "--permission-mode"); v != "dontAsk" {
			t.Errorf("--permission-mode %q, want dontAsk", v)
		}
		if v, _ := argAfter(args, "--permission-prompts"); v != "none" {
			t.Errorf("--permission-prompts %q, want none", v)
		}
		if slices.Contains(args, "--add-dir") || slices.Contains(args, "--dangerously-skip-permissions") {
			t.Errorf("args = %q", args)
		}
	})
	t.Run("no grant means no tools at all", func(t *testing.T) {
		args := buildArgs(Spec{}, "id", "")
		if v, ok := argAfter(args, "--tools"); !ok || v != "" {
			t.Errorf("--tools %q %v, want empty", v, ok)
		}
		if slices.Contains(args, "--allowedTools") {
			t.Errorf("--allowedTools without a grant: %q", args)
		}
		if v, _ := argAfter(args, "--permission-mode"); v != "dontAsk" {
			t.Errorf("--permission-mode %q, want dontAsk", v)
		}
	})
}

func TestValidateTools(t *testing.T) {
	good := [][]string{nil, {"Read"}, {"Read", "Bash(git status:*)", "WebFetch(domain:example.com)", "Edit(./docs/**)"}}
	for _, g := range good {
		if err := ValidateTools(g); err != nil {
			t.Errorf("ValidateTools(%q) = %v", g, err)
		}
	}
	bad := []struct {
		tools []string
		in    string // the error must name this
	}{
		{[]string{"Read", "rm -rf"}, `tools[1]: "rm -rf"`},
		{[]string{"Frobnicate"}, `tools[0]: "Frobnicate" is not a built-in tool`},
		{[]string{"read"}, `"read"`},
		{[]string{"Bash,Edit"}, `"Bash,Edit"`},
		{[]string{"Bash(git status:*"}, `ends with ')'`},
		{[]string{"Bash()"}, "1..200"},
		{[]string{"Bash(a,b)"}, "commas"},
		{[]string{"Bash(a(b))"}, "tools[0]"},
		{[]string{"Bash( ls)"}, "spaces"},
		{[]string{"Bash(ls\n)"}, "control"},
		{[]string{"Bash(" + strings.Repeat("x", 201) + ")"}, "1..200"},
		{[]string{"Bash(x)y"}, "tools[0]"},
		{make([]string, MaxTools+1), "at most 50"},
		{[]string{""}, `tools[0]: ""`},
	}
	for _, b := range bad {
		err := ValidateTools(b.tools)
		if err == nil || !strings.Contains(err.Error(), b.in) {
			t.Errorf("ValidateTools(%.40q) = %v, want an error naming %s", b.tools, err, b.in)
		}
		if Spec.Validate(Spec{ConfigDir: "/c", WorkDir: "/w", Tools: b.tools}) == nil {
			t.Errorf("Spec.Validate accepts tools %.40q", b.tools)
		}
	}
}

// requestTools returns the names in a request's tools array, without the
// DeferredToolPlaceholder entry CLI 2.1.332 adds whenever any tool is on.
func requestTools(t *testing.T, r *testkit.Request) []string {
	t.Helper()
	var b struct {
		Tools []struct {
			Name string `json:"name"`
		} `json:"tools"`
	}
	if err := json.Unmarshal(r.Raw, &b); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range b.Tools {
		if tool.Name != "DeferredToolPlaceholder" {
			names = append(names, tool.Name)
		}
	}
	slices.Sort(names)
	return names
}

// TestRealCLITools runs turns with and without a tool grant; the fake API never
// calls a tool, so this checks what the CLI offers the model.
func TestRealCLITools(t *testing.T) {
	api := testkit.NewFakeAPI(t)
	for _, tc := range []struct {
		grant []string
		want  []string
	}{
		{[]string{"Read", "Bash(git status:*)"}, []string{"Bash", "Read"}},
		{nil, nil},
	} {
		t.Run(strings.Join(tc.grant, " "), func(t *testing.T) {
			api.Reset()
			spec := newSpec(t)
			spec.Tools = tc.grant
			p := start(t, realConfig(t, api), spec)
			// With Bash on, the CLI prepends a git attribution system-reminder to
			// the user message, which the fake echoes.
			if _, res := mustSucceed(t, p, "hi"); !strings.HasPrefix(res.Text, "echo: ") || !strings.HasSuffix(res.Text, "hi") {
				t.Errorf("Text = %q", res.Text)
			}
			reqs := api.Requests()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			if got := requestTools(t, reqs[0]); !slices.Equal(got, tc.want) {
				t.Errorf("request tools = %q, want %q", got, tc.want)
			}
		})
	}
}
