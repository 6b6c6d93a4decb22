package compat

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/ccgateway/ccgateway/api"
)

// Register is the api.Group of /v1/*: the OpenAI and Anthropic dialects.
func Register(as *api.Server, hapi huma.API, _ chi.Router) {
	s := &server{as}
	as.HandleUnmatched("/v1/", dialectMeta(dialectByHeader))
	registerCompatModels(hapi, s)
	registerCompatOpenAI(hapi, s)
	registerCompatAnthropic(hapi, s)
	registerCompatResponses(hapi, s)
}

// server is the kernel's Server, with this group's handlers as its methods.
type server struct{ *api.Server }
