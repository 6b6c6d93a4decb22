package tenant

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

type chatInput struct{ Body api.ChatRequest }

func registerChat(hapi huma.API, s *server) {
	op := huma.Operation{
		OperationID: "create-chat", Method: http.MethodPost, Path: "/api/chat",
		Summary: "Send a message", Tags: []string{"chat"}, Security: api.KeySecurity,
		Description:  "Sends one user message to Claude through the CLI. With stream=false the reply comes as one JSON document; with stream=true as server-sent events: `start`, `queued` (while waiting for a CLI process), `delta` (text, in order), then `done` (the ChatResponse) or `error` (a problem). Keep-alive comments are sent during silences.",
		MaxBodyBytes: int64(s.Config.MaxMessageBytes) + 128<<10,
		Errors:       []int{400, 401, 403, 404, 408, 413, 422, 429, 502, 503, 504},
	}
	api.DocumentChatResponses(hapi, &op)
	api.IdempotentOperation(&op, api.Idempotent{Streams: true})
	huma.Register(hapi, op, s.chat)
}

// chat validates the request and runs it through the turn pipeline, then hands
// the events to the JSON or SSE writer.
func (s *server) chat(ctx context.Context, in *chatInput) (*huma.StreamResponse, error) {
	t := s.BeginTurn(ctx, in.Body.ConversationID)
	// The usage record names a model only once it is known to be one of ours:
	// request input is not copied into records as it came.
	if s.Config.KnownModel(in.Body.Model) {
		t.SetModel(s.Config.ResolveModel(in.Body.Model))
	}
	_, events, p := s.StartTurn(ctx, t, &in.Body, nil)
	if p != nil {
		t.Refuse(p.Status, p)
		return nil, p
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		if in.Body.Stream {
			s.WriteStream(hctx, t, events)
			return
		}
		s.writeJSON(hctx, t, events)
	}}, nil
}

// writeJSON waits for the turn's end and writes the reply or the problem.
func (s *server) writeJSON(hctx huma.Context, t *actors.Turn, events <-chan actors.Event) {
	res, p := api.AwaitTurn(t, events)
	if p != nil {
		api.WriteProblem(hctx, p)
		return
	}
	hctx.SetHeader("Content-Type", "application/json")
	hctx.SetStatus(http.StatusOK)
	api.WriteJSONBody(hctx.BodyWriter(), api.NewChatResponse(*res))
}
