package tenant

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// ModelInfo is one model the gateway offers.
type ModelInfo struct {
	ID      string   `json:"id" example:"claude-sonnet-5-5" doc:"Model id passed to the CLI"`
	Aliases []string `json:"aliases" nullable:"false" example:"[\"sonnet\"]" doc:"Short names that resolve to this model"`
	Default bool     `json:"default" doc:"Used when a request names no model"`
}

// ModelList lists the configured models.
type ModelList struct {
	Models []ModelInfo `json:"models" nullable:"false"`
}

type modelsOutput struct{ Body ModelList }

func registerModels(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "list-models", Method: http.MethodGet, Path: "/api/models",
		Summary: "List models", Tags: []string{"chat"}, Security: api.KeySecurity,
		Description: "The models this gateway offers, with their aliases.",
		Errors:      []int{401, 403, 429},
	}, func(ctx context.Context, _ *struct{}) (*modelsOutput, error) {
		def := s.Config.ResolveModel(s.Config.DefaultModel)
		out := &modelsOutput{Body: ModelList{Models: []ModelInfo{}}}
		for _, m := range s.Config.Models {
			aliases := append([]string{}, m.Aliases...)
			out.Body.Models = append(out.Body.Models, ModelInfo{ID: m.ID, Aliases: aliases, Default: m.ID == def})
		}
		return out, nil
	})
}
