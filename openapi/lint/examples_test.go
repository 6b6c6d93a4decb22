package lint

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestSpecExamplesUseTheCatalogue checks that every model named in the spec's
// examples (any `claude-…` string, and every example of a `model` property) is
// one the default configuration offers, by id or alias, so examples copied from
// the docs work on a fresh gateway. Findings are "examples" lines of
// known-findings.txt.
func TestSpecExamplesUseTheCatalogue(t *testing.T) {
	root, err := testkit.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "openapi", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var offered []string
	for _, m := range config.Defaults().Models {
		offered = append(offered, m.ID)
		offered = append(offered, m.Aliases...)
	}
	if len(offered) == 0 {
		t.Fatal("the default configuration offers no models")
	}
	var got []string
	var walk func(v any, path []string, inExample, modelProp bool)
	walk = func(v any, path []string, inExample, modelProp bool) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(x, append(path, pointer(k)), inExample || k == "example" || k == "examples",
					modelProp || (len(path) > 0 && path[len(path)-1] == "properties" && k == "model"))
			}
		case []any:
			for i, x := range v {
				walk(x, append(path, fmt.Sprint(i)), inExample, modelProp)
			}
		case string:
			if inExample && (strings.HasPrefix(v, "claude-") || modelProp) && !slices.Contains(offered, v) {
				got = append(got, fmt.Sprintf("examples %s #/%s", v, strings.Join(path, "/")))
			}
		}
	}
	walk(doc, nil, false, false)
	compare(t, "examples ", got)
}

func pointer(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}
