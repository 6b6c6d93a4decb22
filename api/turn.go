package api

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/store"
)

// ChatRequest is one user message, optionally continuing a conversation.
type ChatRequest struct {
	Message        string   `json:"message" minLength:"1" doc:"The user's message. Sent to the model verbatim: slash commands and @file references are not expanded." example:"Hello!"`
	ConversationID string   `json:"conversation_id,omitempty" doc:"Continue this conversation; omit to start a new one" example:"9b2c3f0e-4c1a-4a53-9d8e-2f6b1c7e5a10"`
	Model          string   `json:"model,omitempty" doc:"Model id or alias (see GET /api/models); default: the gateway's default model" example:"sonnet"`
	Temperature    *float64 `json:"temperature,omitempty" minimum:"0" maximum:"1" doc:"Sampling temperature" example:"0.2"`
	MaxTokens      int      `json:"max_tokens,omitempty" minimum:"1" maximum:"128000" doc:"Cap on the reply's output tokens" example:"1024"`
	SystemPrompt   string   `json:"system_prompt,omitempty" maxLength:"65536" doc:"System prompt for the conversation" example:"You are terse."`
	StopSequences  []string `json:"stop_sequences,omitempty" maxItems:"8" doc:"Strings that end the reply when the model generates one (not included in the content); the reply then has stop_reason stop_sequence. At most 8, each 1-256 characters with at least one non-whitespace character. For this turn only: a later turn without them has none." example:"[\"END\"]"`
	Stream         bool     `json:"stream,omitempty" doc:"Stream the reply as server-sent events (start, queued, delta, done, error)"`
}

// ChatUsage is the token accounting of one turn, as the CLI measured it.
type ChatUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	TotalTokens              int64 `json:"total_tokens"`
}

// ChatResponse is a finished turn.
type ChatResponse struct {
	ID             string    `json:"id" example:"msg_3f1c9a0b2d4e5f60718293a4"`
	ConversationID string    `json:"conversation_id"`
	Model          string    `json:"model" example:"claude-sonnet-5-5"`
	Content        string    `json:"content" example:"Hello! How can I help?"`
	StopReason     string    `json:"stop_reason" example:"end_turn" doc:"Why the reply ended: end_turn, max_tokens, stop_sequence, refusal, ..."`
	StopSequence   string    `json:"stop_sequence,omitempty" doc:"The stop sequence that ended the reply (stop_reason stop_sequence), when the CLI reported it"`
	Usage          ChatUsage `json:"usage"`
	CostUSD        float64   `json:"cost_usd" example:"0.000148"`
	DurationMS     int64     `json:"duration_ms" example:"812"`
}

// StartEvent opens a stream.
type StartEvent struct {
	ConversationID string `json:"conversation_id"`
	Model          string `json:"model"`
}

// QueuedEvent says the turn waits for a CLI process.
type QueuedEvent struct {
	Position int `json:"position" doc:"1 = next to run"`
}

// DeltaEvent is a piece of the reply's text.
type DeltaEvent struct {
	Text string `json:"text"`
}

// NewChatResponse is the native reply for a finished turn.
func NewChatResponse(r actors.Result) ChatResponse {
	return ChatResponse{
		ID: r.ID, ConversationID: r.ConversationID, Model: r.Model, Content: r.Content,
		StopReason: r.StopReason, StopSequence: r.StopSequence, CostUSD: r.CostUSD, DurationMS: r.DurationMS,
		Usage: ChatUsage{
			InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens,
			CacheReadInputTokens:     r.Usage.CacheReadInputTokens,
			CacheCreationInputTokens: r.Usage.CacheCreationInputTokens,
			TotalTokens:              r.Usage.Total(),
		},
	}
}

// documentChatResponses describes the 200 response in both media types, since the
// handler streams its own body.
func DocumentChatResponses(api huma.API, op *huma.Operation) {
	reg := api.OpenAPI().Components.Schemas
	schema := func(v any) *huma.Schema { return reg.Schema(reflect.TypeOf(v), true, "") }
	events := &huma.Schema{OneOf: []*huma.Schema{}}
	for _, e := range []struct {
		name string
		v    any
	}{{"start", StartEvent{}}, {"queued", QueuedEvent{}}, {"delta", DeltaEvent{}}, {"done", ChatResponse{}}, {"error", Problem{}}} {
		events.OneOf = append(events.OneOf, &huma.Schema{
			Title: "Event " + e.name, Type: "object", Required: []string{"event", "data"},
			Properties: map[string]*huma.Schema{
				"event": {Type: "string", Enum: []any{e.name}},
				"data":  schema(e.v),
			},
		})
	}
	op.Responses = map[string]*huma.Response{
		"200": {
			Description: "The reply: JSON when stream=false, server-sent events when stream=true",
			Headers: map[string]*huma.Param{
				"X-Request-Id": {Description: "The request id", Schema: &huma.Schema{Type: "string"}},
			},
			Content: map[string]*huma.MediaType{
				"application/json":  {Schema: schema(ChatResponse{})},
				"text/event-stream": {Schema: &huma.Schema{Type: "array", Items: events}},
			},
		},
		"429": RetryAfterResponse("Rate limited; see Retry-After"),
		"503": RetryAfterResponse("No CLI available, overloaded upstream or shutting down; see Retry-After"),
	}
}

// RetryAfterResponse documents a problem response that carries Retry-After.
func RetryAfterResponse(desc string) *huma.Response {
	return &huma.Response{
		Description: desc,
		Headers: map[string]*huma.Param{
			"Retry-After": {Description: "Seconds to wait before retrying", Schema: &huma.Schema{Type: "integer"}},
		},
		Content: map[string]*huma.MediaType{
			"application/problem+json": {Schema: &huma.Schema{Ref: "#/components/schemas/Problem"}},
		},
	}
}

// StartTurn takes a chat request through validation, admission and the start of
// its turn. conv is the row of b.ConversationID when the caller has read it for
// this request already (nil: admission reads it). On a problem the caller
// refuses the turn with the status it answers (a turn that failed to start is
// already finished, and Refuse does nothing).
func (s *Server) StartTurn(ctx context.Context, t *actors.Turn, b *ChatRequest, conv *store.Conversation) (actors.ChatRequest, <-chan actors.Event, *Problem) {
	req, p := s.chatRequest(ctx, b)
	if p == nil {
		req.Conversation = conv
		t.SetModel(req.Model)
		p = s.Admit(ctx, t, &req, b.Stream)
	}
	if p == nil && ctx.Err() != nil { // canceled while it was admitted
		p = ToProblem(ctx.Err())
	}
	if p != nil {
		return req, nil, p
	}
	if s.Config.LogMessages {
		s.Log.Info("chat message", "request_id", RequestIDFrom(ctx), "api_key_id", req.APIKeyID, "text", req.Message)
	}
	events, err := t.Run(ctx, req)
	if err != nil {
		return req, nil, ToProblem(err)
	}
	return req, events, nil
}

// chatRequest checks the body against the gateway's limits and builds the turn.
func (s *Server) chatRequest(ctx context.Context, b *ChatRequest) (actors.ChatRequest, *Problem) {
	if len(b.Message) > s.Config.MaxMessageBytes {
		return actors.ChatRequest{}, NewProblem(http.StatusRequestEntityTooLarge, CodeTooLarge,
			fmt.Sprintf("message is %d bytes; the limit is %d", len(b.Message), s.Config.MaxMessageBytes))
	}
	if strings.TrimSpace(b.Message) == "" {
		return actors.ChatRequest{}, NewProblem(http.StatusBadRequest, CodeInvalidRequest, "message must not be blank")
	}
	model := b.Model
	if model == "" && b.ConversationID == "" {
		model = s.Config.DefaultModel // a continue without a model keeps the conversation's
	}
	if model != "" && !s.Config.KnownModel(model) {
		return actors.ChatRequest{}, NewProblem(http.StatusBadRequest, CodeModelUnknown,
			fmt.Sprintf("model %q is not offered here; see GET /api/models", model))
	}
	if p := checkStopSequences(b.StopSequences); p != nil {
		return actors.ChatRequest{}, p
	}
	k := KeyFrom(ctx)
	return actors.ChatRequest{
		APIKeyID: k.ID, ConversationID: b.ConversationID, Message: b.Message,
		Model: s.Config.ResolveModel(model), SystemPrompt: b.SystemPrompt,
		MaxTokens: b.MaxTokens, Temperature: b.Temperature, StopSequences: b.StopSequences, Tools: k.Tools,
	}, nil
}

// checkStopSequences validates stop sequences with the CLI driver's own rules
// (the schema caps their number): a 422 naming each bad body.stop_sequences[i].
func checkStopSequences(seqs []string) *Problem {
	var f FieldErrors
	if len(seqs) > actors.MaxStopSequences {
		f.Add("body.stop_sequences", fmt.Sprintf("at most %d stop sequences are allowed", actors.MaxStopSequences), len(seqs))
	}
	for i, s := range seqs {
		if err := actors.ValidateStopSequence(s); err != nil {
			f.Add(fmt.Sprintf("body.stop_sequences[%d]", i), err.Error(), s)
		}
	}
	if len(f) == 0 {
		return nil
	}
	p := NewProblem(http.StatusUnprocessableEntity, CodeValidationFailed, "validation failed")
	for _, err := range f {
		p.Errors = append(p.Errors, err.(*huma.ErrorDetail))
	}
	return p
}

// AwaitTurn waits for a non-streamed turn's end and returns its result, or the
// problem it failed with; the pipeline records the turn either way.
func AwaitTurn(t *actors.Turn, events <-chan actors.Event) (*actors.Result, *Problem) {
	defer t.Release()
	for ev := range events {
		switch ev := ev.(type) {
		case actors.Done:
			return &ev.Result, nil
		case actors.Failed:
			return nil, ToProblem(ev.Err)
		}
	}
	return nil, NewProblem(http.StatusBadGateway, CodeCLICrashed, "the turn ended without a result")
}
