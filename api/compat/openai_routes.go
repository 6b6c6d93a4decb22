package compat

import (
	"context"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// OpenAIChatMessage documents one message of a Chat Completions request.
type OpenAIChatMessage struct {
	Role    string `json:"role" enum:"system,developer,user,assistant" doc:"tool messages are refused"`
	Content any    `json:"content" doc:"A string or an array of {type: text, text} parts; image, audio and file parts are refused"`
}

// OpenAIChatRequest documents the Chat Completions request the gateway reads.
// Other fields are ignored or refused as docs/compatibility.md lists.
type OpenAIChatRequest struct {
	_                   struct{}            `additionalProperties:"true"`
	Model               string              `json:"model,omitempty" doc:"Model id or alias (GET /v1/models); default: the gateway's default model" example:"sonnet"`
	Messages            []OpenAIChatMessage `json:"messages" doc:"The whole conversation; system and developer messages become the system prompt"`
	MaxTokens           int                 `json:"max_tokens,omitempty" doc:"Cap on the reply's output tokens"`
	MaxCompletionTokens int                 `json:"max_completion_tokens,omitempty" doc:"Same as max_tokens; wins when both are set"`
	Temperature         *float64            `json:"temperature,omitempty" doc:"0..2; values above 1 are capped at 1 (Claude's range)"`
	Stream              bool                `json:"stream,omitempty" doc:"Stream chat.completion.chunk events ending with data: [DONE]"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage,omitempty" doc:"Send a last chunk with the usage"`
	} `json:"stream_options,omitempty"`
}

func registerCompatOpenAI(hapi huma.API, s *server) {
	op := huma.Operation{
		OperationID: "openai-chat-completions", Method: http.MethodPost, Path: "/v1/chat/completions",
		Summary: "Chat completion (OpenAI-compatible)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "OpenAI's Chat Completions API for OpenAI clients and SDKs. The whole history is mapped onto a stored conversation " +
			"when its earlier messages match one of the key's conversations (then only the new user message reaches the CLI); " +
			"otherwise a new conversation starts with the earlier messages as a transcript. The X-Conversation-Id response header " +
			"names the conversation. Errors come in OpenAI's shape: {\"error\":{\"message\",\"type\",\"param\",\"code\"}}.",
		MaxBodyBytes: compatMaxBody(s), SkipValidateBody: true, // the handler parses the body: unknown fields are fine
		Metadata: dialectMeta(dialectOpenAI),
		Errors:   []int{400, 401, 403, 404, 413, 415, 429, 502, 503, 504},
	}
	huma.Register(hapi, op, func(ctx context.Context, in *compatInput) (*huma.StreamResponse, error) {
		return s.startCompat(ctx, dialectOpenAI, in, ParseOpenAI)
	})
	documentCompat(hapi, op, OpenAIChatRequest{}, ChatCompletion{}, ChatCompletionChunk{}, OpenAIErrorBody{})
	// The stream ends with the line data: [DONE], which is not JSON, or with an
	// error in OpenAI's shape (the SDKs raise it), after which no [DONE] follows.
	data := hapi.OpenAPI().Paths[op.Path].Post.Responses["200"].Content["text/event-stream"].Schema.Items.Properties
	// Nested so that a generator tells the three apart: an object (a chunk or an error,
	// by their fields) or the string.
	data["data"] = &huma.Schema{OneOf: []*huma.Schema{
		{OneOf: []*huma.Schema{data["data"], hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(OpenAIErrorBody{}), true, "")}},
		{Type: "string", Enum: []any{"[DONE]"}, Description: "The end of the stream"}}}
}

// compatMaxBody bounds a compatibility request: these clients resend the whole
// history, so it allows several messages of the native limit.
func compatMaxBody(s *server) int64 {
	return 8*int64(s.Config.MaxMessageBytes) + 1<<20
}

// documentCompat sets the documented request and response schemas of a
// compatibility operation, whose handler reads its raw body and writes its own.
func documentCompat(hapi huma.API, op huma.Operation, req, resp, chunk, errBody any) {
	reg := hapi.OpenAPI().Components.Schemas
	schema := func(v any) *huma.Schema { return reg.Schema(reflect.TypeOf(v), true, "") }
	o := hapi.OpenAPI().Paths[op.Path].Post
	o.RequestBody.Content["application/json"].Schema = schema(req)
	o.Responses["200"] = &huma.Response{
		Description: "The reply: JSON when stream is false, server-sent events when it is true",
		Headers: map[string]*huma.Param{
			"X-Conversation-Id": {Description: "The stored conversation this request continued or started", Schema: &huma.Schema{Type: "string"}},
		},
		Content: map[string]*huma.MediaType{
			"application/json":  {Schema: schema(resp)},
			"text/event-stream": {Schema: sseItems(schema(chunk))},
		},
	}
	documentCompatErrors(hapi, o, errBody)
}

// sseItems documents an event stream as huma documents native ones: a list of
// events, each with an optional name and its data.
func sseItems(data *huma.Schema) *huma.Schema {
	return &huma.Schema{Type: "array", Items: &huma.Schema{Type: "object", Required: []string{"data"}, Properties: map[string]*huma.Schema{
		"event": {Type: "string", Description: "The event name, when the dialect sends one"},
		"data":  data,
	}}}
}

// documentCompatErrors declares the errors of a compatibility operation in the
// client's own shape (application/json), as compatError writes them.
func documentCompatErrors(hapi huma.API, o *huma.Operation, errBody any) {
	errResp := &huma.Response{Description: "An error in the client's own shape", Content: map[string]*huma.MediaType{
		"application/json": {Schema: hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(errBody), true, "")},
	}}
	o.Responses["default"] = errResp
	for code, r := range o.Responses {
		if code[0] != '2' && code != "default" {
			r.Content = errResp.Content
		}
	}
}
