package gateway

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestEveryProblemCodeIsDocumented scans the sources of api and its route groups
// for the codes problems are built with (constants named Code*, and literal codes
// passed to problem) and fails when one is missing from README's problem-code
// table, the one place clients look codes up.
func TestEveryProblemCodeIsDocumented(t *testing.T) {
	t.Parallel()
	codes := map[string]string{} // code -> where
	for _, dir := range []string{"../../api", "../../api/tenant", "../../api/compat", "../../api/admin"} {
		for code, where := range problemCodesIn(t, dir) {
			codes[code] = where
		}
	}
	if len(codes) < 40 {
		t.Fatalf("found only %d problem codes: the scan no longer matches how problems are built", len(codes))
	}
	documented := documentedProblemCodes(t, "../../README.md")
	var missing []string
	for code, where := range codes {
		if !documented[code] {
			missing = append(missing, code+" ("+where+")")
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("problem codes missing from README's problem-code table:\n%s", strings.Join(missing, "\n"))
	}
}

// problemCodesIn returns the problem codes that dir's non-test Go files define
// or build problems with.
func problemCodesIn(t *testing.T, dir string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		add := func(e ast.Expr) {
			if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil {
					codes[s] = fset.Position(lit.Pos()).String()
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.ValueSpec: // const CodeX = "x"
				for i, id := range n.Names {
					if strings.HasPrefix(id.Name, "Code") && i < len(n.Values) {
						add(n.Values[i])
					}
				}
			case *ast.CallExpr: // NewProblem(status, "x", ...), api.NewProblem(...)
				name := ""
				switch fn := n.Fun.(type) {
				case *ast.Ident:
					name = fn.Name
				case *ast.SelectorExpr:
					name = fn.Sel.Name
				}
				if name == "NewProblem" && len(n.Args) > 1 {
					add(n.Args[1])
				}
			case *ast.KeyValueExpr: // &Error{Code: "x"}, &Problem{Code: "x"}
				if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Code" {
					add(n.Value)
				}
			}
			return true
		})
	}
	return codes
}

// documentedProblemCodes returns the backquoted codes in the rows of the
// markdown table that follows the "| Status | `code` | When |" header.
func documentedProblemCodes(t *testing.T, path string) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "| Status | `code` | When |")
	if i < 0 {
		t.Fatalf("%s has no problem-code table", path)
	}
	table := text[i:]
	if end := strings.Index(table, "\n\n"); end >= 0 {
		table = table[:end]
	}
	out := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9_]+)`").FindAllStringSubmatch(table, -1) {
		out[m[1]] = true
	}
	return out
}
