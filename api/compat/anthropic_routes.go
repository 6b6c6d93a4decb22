package compat

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// AnthropicMessageParam documents one message of a Messages request.
type AnthropicMessageParam struct {
	Role    string `json:"role" enum:"user,assistant"`
	Content any    `json:"content" doc:"A string or an array of text blocks; image, document and tool blocks are refused"`
}

// AnthropicMessagesRequest documents the Messages request the gateway reads.
// Other fields are ignored or refused as docs/compatibility.md lists.
type AnthropicMessagesRequest struct {
	_           struct{}                `additionalProperties:"true"`
	Model       string                  `json:"model" doc:"Model id or alias (GET /v1/models)" example:"sonnet"`
	MaxTokens   int                     `json:"max_tokens" doc:"Cap on the reply's output tokens"`
	Messages    []AnthropicMessageParam `json:"messages" doc:"The whole conversation, ending with a user message"`
	System      any                     `json:"system,omitempty" doc:"The system prompt: a string or text blocks"`
	Temperature *float64                `json:"temperature,omitempty" doc:"0..1"`
	Stream      bool                    `json:"stream,omitempty" doc:"Stream message_start, content_block_*, message_delta, message_stop and ping events"`
}

// StreamEventDoc documents one event of a Messages stream.
type StreamEventDoc struct {
	_    struct{} `additionalProperties:"true"`
	Type string   `json:"type" enum:"message_start,content_block_start,content_block_delta,content_block_stop,message_delta,message_stop,ping,error"`
}

func registerCompatAnthropic(hapi huma.API, s *server) {
	op := huma.Operation{
		OperationID: "anthropic-messages", Method: http.MethodPost, Path: "/v1/messages",
		Summary: "Create a message (Anthropic-compatible)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "Anthropic's Messages API for Anthropic clients and SDKs (x-api-key and anthropic-version accepted). History is " +
			"mapped onto stored conversations as for /v1/chat/completions. Errors come in Anthropic's shape: " +
			"{\"type\":\"error\",\"error\":{\"type\",\"message\"}}.",
		MaxBodyBytes: compatMaxBody(s), SkipValidateBody: true, // the handler parses the body: unknown fields are fine
		Metadata: dialectMeta(dialectAnthropic),
		Errors:   []int{400, 401, 403, 404, 413, 415, 429, 502, 503, 504},
	}
	huma.Register(hapi, op, func(ctx context.Context, in *compatInput) (*huma.StreamResponse, error) {
		return s.startCompat(ctx, dialectAnthropic, in, ParseAnthropic)
	})
	documentCompat(hapi, op, AnthropicMessagesRequest{}, AnthropicMessage{}, StreamEventDoc{}, AnthropicErrorBody{})

	count := huma.Operation{
		OperationID: "anthropic-count-tokens", Method: http.MethodPost, Path: "/v1/messages/count_tokens",
		Summary: "Count tokens (not available)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "Always answers 400 invalid_request_error: the Claude CLI offers no token counting, and an estimate would " +
			"not be the count the model bills (the CLI adds its own system prompt). See docs/compatibility.md.",
		Metadata: dialectMeta(dialectAnthropic), SkipValidateBody: true,
		Errors: []int{400, 401, 403, 415},
	}
	huma.Register(hapi, count, func(ctx context.Context, in *compatInput) (*struct{}, error) {
		if p := in.mediaProblem(); p != nil {
			return nil, asCompat(dialectAnthropic, p, "")
		}
		return nil, asCompat(dialectAnthropic, api.NewProblem(http.StatusBadRequest, "unsupported_endpoint",
			"count_tokens is not available through this gateway: the Claude CLI cannot count tokens without running a turn, and an estimate would not match what the model bills; use the usage of a response instead"), "")
	})
	// It never succeeds: no 2xx, and the body it is sent is a Messages request.
	countOp := hapi.OpenAPI().Paths[count.Path].Post
	delete(countOp.Responses, "204")
	countOp.RequestBody.Content["application/json"].Schema = hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(AnthropicMessagesRequest{}), true, "")
	documentCompatErrors(hapi, countOp, AnthropicErrorBody{})
}
