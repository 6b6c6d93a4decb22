package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"
)

// routeMethods are the methods an Allow header can name.
var routeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// HandleUnmatched gives the requests under prefix that no route matches the
// Operation metadata meta (a ProblemRenderer, typically), so that their 404 and
// 405 come in the shape the group's clients expect. Groups call it from Register.
func (s *Server) HandleUnmatched(prefix string, meta map[string]any) {
	if s.unmatched == nil {
		s.unmatched = map[string]map[string]any{}
	}
	s.unmatched[prefix] = meta
}

// noRoute answers a request no route matches: a 404 problem, or a 405 with
// Allow when the path has routes for other methods.
func (s *Server) noRoute(mux *chi.Mux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var allow []string
		for _, m := range routeMethods {
			if m != r.Method && mux.Match(chi.NewRouteContext(), m, r.URL.Path) {
				allow = append(allow, m)
			}
		}
		p := NewProblem(http.StatusNotFound, CodeNotFound, "no such route; see the API reference at /docs")
		if len(allow) > 0 {
			p = NewProblem(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
				fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, strings.Join(allow, ", ")))
			p.headers = http.Header{"Allow": {strings.Join(allow, ", ")}}
		}
		op := &huma.Operation{Method: r.Method, Path: r.URL.Path}
		longest := -1
		for prefix, meta := range s.unmatched {
			if strings.HasPrefix(r.URL.Path, prefix) && len(prefix) > longest {
				op.Metadata, longest = meta, len(prefix)
			}
		}
		WriteProblem(humachi.NewContext(op, r, w), p)
	}
}
