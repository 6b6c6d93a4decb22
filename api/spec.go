package api

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/danielgtaylor/huma/v2"
	"gopkg.in/yaml.v3"
)

// Spec builds the OpenAPI 3.1 document from the operations of the kernel and of
// groups, with the configuration cfg (limits in the spec come from it).
func Spec(version string, cfg *Config, groups ...Group) *huma.OpenAPI {
	_, api := New(Deps{Config: cfg, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Version: version}, groups...)
	return api.OpenAPI()
}

// SpecFiles renders the 3.1 document and a 3.0.3 copy for code generators, as YAML.
func SpecFiles(version string, cfg *Config, groups ...Group) (v31, v30 []byte, err error) {
	oapi := Spec(version, cfg, groups...)
	if v31, err = oapi.YAML(); err != nil {
		return nil, nil, fmt.Errorf("api: spec: %w", err)
	}
	down, err := oapi.Downgrade()
	if err != nil {
		return nil, nil, fmt.Errorf("api: spec 3.0: %w", err)
	}
	var doc any
	if err := json.Unmarshal(down, &doc); err != nil {
		return nil, nil, fmt.Errorf("api: spec 3.0: %w", err)
	}
	clean30(doc)
	if info, ok := doc.(map[string]any)["info"].(map[string]any); ok {
		if lic, ok := info["license"].(map[string]any); ok {
			delete(lic, "identifier") // 3.1 only
		}
	}
	if v30, err = yaml.Marshal(doc); err != nil {
		return nil, nil, fmt.Errorf("api: spec 3.0: %w", err)
	}
	return v31, v30, nil
}

// clean30 removes what huma's Downgrade leaves behind that OpenAPI 3.0 does not
// allow: `const` becomes a one-value enum, `contentMediaType` and `$schema` go,
// and a `$ref` loses its documentation siblings (3.0 ignores them; validators
// refuse them). A property of any type (no type, no $ref, no composition) gets
// `nullable: true`: in 3.1 it admits null, in 3.0 only when it says so.
func clean30(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["$ref"]; ok {
			for _, k := range []string{"description", "example", "examples", "title"} {
				delete(v, k) // documentation 3.0 ignores next to a $ref, and validators refuse
			}
		}
		if c, ok := v["const"]; ok {
			v["enum"] = []any{c}
			delete(v, "const")
		}
		delete(v, "contentMediaType")
		delete(v, "$schema")
		if props, ok := v["properties"].(map[string]any); ok {
			for _, p := range props {
				nullableAny(p)
			}
		}
		for _, child := range v {
			clean30(child)
		}
	case []any:
		for _, child := range v {
			clean30(child)
		}
	}
}

// nullableAny marks a property schema that admits any JSON value as nullable.
func nullableAny(p any) {
	m, ok := p.(map[string]any)
	if !ok {
		return
	}
	for _, k := range []string{"type", "$ref", "oneOf", "anyOf", "allOf", "enum", "not"} {
		if _, ok := m[k]; ok {
			return
		}
	}
	m["nullable"] = true
}
