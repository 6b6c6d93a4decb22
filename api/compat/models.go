package compat

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// CompatModel is one model in OpenAI's or Anthropic's shape (a list entry, or the
// answer of GET /v1/models/{id}); each dialect fills its own fields.
type CompatModel struct {
	ID          string `json:"id" example:"claude-sonnet-5-5"`
	Object      string `json:"object,omitempty" doc:"OpenAI: always model"`
	Created     int64  `json:"created,omitempty" doc:"OpenAI: unknown here, so absent"`
	OwnedBy     string `json:"owned_by,omitempty" doc:"OpenAI: anthropic"`
	Type        string `json:"type,omitempty" doc:"Anthropic: always model"`
	DisplayName string `json:"display_name,omitempty" doc:"Anthropic: the id"`
	CreatedAt   string `json:"created_at,omitempty" doc:"Anthropic: unknown here, so the Unix epoch"`
}

// CompatModelList is GET /v1/models: OpenAI's list, or Anthropic's page when the
// request has an anthropic-version header.
type CompatModelList struct {
	Object  string        `json:"object,omitempty" doc:"OpenAI: always list"`
	Data    []CompatModel `json:"data" nullable:"false"`
	HasMore *bool         `json:"has_more,omitempty" doc:"Anthropic: always false"`
	FirstID string        `json:"first_id,omitempty" doc:"Anthropic"`
	LastID  string        `json:"last_id,omitempty" doc:"Anthropic"`
}

type compatModelsInput struct {
	AnthropicVersion string `header:"anthropic-version" doc:"Present: answer in Anthropic's shape"`
}

type compatModelsOutput struct{ Body CompatModelList }

type compatModelInput struct {
	ID               string `path:"id" doc:"A model id or alias (see GET /v1/models)" example:"sonnet"`
	AnthropicVersion string `header:"anthropic-version" doc:"Present: answer in Anthropic's shape"`
}

type compatModelOutput struct{ Body CompatModel }

// openAIModel is id in OpenAI's model shape.
func openAIModel(id string) CompatModel {
	return CompatModel{ID: id, Object: "model", OwnedBy: "anthropic"}
}

// anthropicModel is id in Anthropic's ModelInfo shape.
func anthropicModel(id string) CompatModel {
	return CompatModel{ID: id, Type: "model", DisplayName: id, CreatedAt: "1970-01-01T00:00:00Z"}
}

func registerCompatModels(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "compat-list-models", Method: http.MethodGet, Path: "/v1/models",
		Summary: "List models (OpenAI- and Anthropic-compatible)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "The configured models and their aliases, in OpenAI's shape, or in Anthropic's when the request carries anthropic-version.",
		Metadata:    dialectMeta(dialectByHeader),
		Errors:      []int{401, 403},
	}, func(ctx context.Context, in *compatModelsInput) (*compatModelsOutput, error) {
		var ids []string
		for _, m := range s.Config.Models {
			ids = append(ids, m.ID)
			ids = append(ids, m.Aliases...)
		}
		out := &compatModelsOutput{Body: CompatModelList{Data: []CompatModel{}}}
		if in.AnthropicVersion == "" {
			out.Body.Object = "list"
			for _, id := range ids {
				out.Body.Data = append(out.Body.Data, openAIModel(id))
			}
			return out, nil
		}
		no := false
		out.Body.HasMore = &no
		for _, id := range ids {
			out.Body.Data = append(out.Body.Data, anthropicModel(id))
		}
		if len(ids) > 0 {
			out.Body.FirstID, out.Body.LastID = ids[0], ids[len(ids)-1]
		}
		return out, nil
	})

	huma.Register(hapi, huma.Operation{
		OperationID: "compat-get-model", Method: http.MethodGet, Path: "/v1/models/{id}",
		Summary: "Retrieve a model (OpenAI- and Anthropic-compatible)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "One configured model in OpenAI's shape, or in Anthropic's when the request carries anthropic-version. " +
			"An alias resolves to its model: the answer's id is the model id. An unknown id is a 404 in the client's error shape.",
		Metadata: dialectMeta(dialectByHeader),
		Errors:   []int{401, 403, 404},
	}, func(ctx context.Context, in *compatModelInput) (*compatModelOutput, error) {
		d := dialectOpenAI
		if in.AnthropicVersion != "" {
			d = dialectAnthropic
		}
		if !s.Config.KnownModel(in.ID) {
			return nil, asCompat(d, api.NewProblem(http.StatusNotFound, api.CodeModelUnknown,
				fmt.Sprintf("model %q is not offered here; see GET /v1/models", in.ID)), "model")
		}
		id := s.Config.ResolveModel(in.ID)
		if d == dialectAnthropic {
			return &compatModelOutput{Body: anthropicModel(id)}, nil
		}
		return &compatModelOutput{Body: openAIModel(id)}, nil
	})
	for _, path := range []string{"/v1/models", "/v1/models/{id}"} {
		documentCompatErrors(hapi, hapi.OpenAPI().Paths[path].Get, EitherErrorBody{})
	}
}
