package api

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
)

// compatRoutes registers /v1/*: the OpenAI and Anthropic dialects.
func compatRoutes(s *Server, api huma.API, _ chi.Router) {
	registerCompatModels(api, s)
	registerCompatOpenAI(api, s)
	registerCompatAnthropic(api, s)
	registerCompatResponses(api, s)
}
