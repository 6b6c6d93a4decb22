package gateway

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestUnknownRoutesAreProblems: a path no route serves is a 404 problem, a
// method the path lacks a 405 problem with Allow; under /v1/ both come in the
// OpenAI or (with anthropic-version) the Anthropic error shape.
func TestUnknownRoutesAreProblems(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		ctype, code, allow string
		shape              string // problem, openai or anthropic
	}{
		{"unknown path", "GET", "/nope", nil, 404, "application/problem+json", api.CodeNotFound, "", "problem"},
		{"unknown admin path", "POST", "/admin/nope", nil, 404, "application/problem+json", api.CodeNotFound, "", "problem"},
		{"wrong method", "DELETE", "/api/models", nil, 405, "application/problem+json", api.CodeMethodNotAllowed, "GET", "problem"},
		{"wrong method on a collection", "PATCH", "/api/conversations", nil, 405, "application/problem+json", api.CodeMethodNotAllowed, "GET, POST", "problem"},
		{"unknown OpenAI path", "POST", "/v1/embeddings", nil, 404, "application/json", "", "", "openai"},
		{"wrong OpenAI method", "GET", "/v1/chat/completions", nil, 405, "application/json", "", "POST", "openai"},
		{"unknown Anthropic path", "POST", "/v1/complete", map[string]string{"anthropic-version": "2023-06-01"}, 404, "application/json", "", "", "anthropic"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(context.Background(), tc.method, g.srv.URL+tc.path, nil)
			req.Header.Set("Authorization", "Bearer "+key)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := g.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatalf("body is not JSON: %v", err)
			}
			if resp.StatusCode != tc.status || resp.Header.Get("Content-Type") != tc.ctype || resp.Header.Get("Allow") != tc.allow {
				t.Fatalf("got %d %q Allow %q, want %d %q Allow %q: %v", resp.StatusCode, resp.Header.Get("Content-Type"),
					resp.Header.Get("Allow"), tc.status, tc.ctype, tc.allow, body)
			}
			switch tc.shape {
			case "problem":
				if body["code"] != tc.code || body["status"] != float64(tc.status) || body["request_id"] == "" || body["instance"] != tc.path {
					t.Errorf("problem %v", body)
				}
			case "openai":
				if e, ok := body["error"].(map[string]any); !ok || e["message"] == "" {
					t.Errorf("OpenAI error %v", body)
				}
			case "anthropic":
				if e, ok := body["error"].(map[string]any); body["type"] != "error" || !ok || e["message"] == "" {
					t.Errorf("Anthropic error %v", body)
				}
			}
		})
	}
}
