package compat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// ResponsesRequestDoc documents the OpenAI Responses request the gateway reads.
// Other fields are ignored or refused as docs/compatibility.md lists.
type ResponsesRequestDoc struct {
	_                  struct{}          `additionalProperties:"true"`
	Model              string            `json:"model,omitempty" doc:"Model id or alias (GET /v1/models); default: the gateway's default model" example:"sonnet"`
	Input              any               `json:"input" doc:"A string (one user message) or a list of messages ({role, content}); content is a string or input_text/output_text parts. Images, files and tool items are refused."`
	Instructions       string            `json:"instructions,omitempty" doc:"The system prompt"`
	PreviousResponseID string            `json:"previous_response_id,omitempty" doc:"Continue the conversation of this stored response (the latest of its conversation)"`
	MaxOutputTokens    int               `json:"max_output_tokens,omitempty" doc:"Cap on the reply's output tokens"`
	Temperature        *float64          `json:"temperature,omitempty" doc:"0..2; values above 1 are capped at 1 (Claude's range)"`
	Stream             bool              `json:"stream,omitempty" doc:"Stream the Responses events (response.created ... response.completed)"`
	Store              *bool             `json:"store,omitempty" doc:"false: do not keep the response (it cannot be read back or continued)"`
	Metadata           map[string]string `json:"metadata,omitempty" doc:"Echoed in the response"`
}

// responseIDPath is the id of a stored response.
type responseIDPath struct {
	ID string `path:"id" doc:"A response id (resp_...)"`
}

// ResponseDeleted is the answer to DELETE /v1/responses/{id}.
type ResponseDeleted struct {
	ID      string `json:"id"`
	Object  string `json:"object" enum:"response.deleted"`
	Deleted bool   `json:"deleted"`
}

func registerCompatResponses(hapi huma.API, s *server) {
	op := huma.Operation{
		OperationID: "openai-create-response", Method: http.MethodPost, Path: "/v1/responses",
		Summary: "Create a response (OpenAI Responses API)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "OpenAI's Responses API, text in and out, for the OpenAI SDKs' responses clients. A call without " +
			"previous_response_id starts a conversation (earlier messages of its input travel as a transcript); " +
			"previous_response_id continues the conversation of that stored response. Tools, files, images, reasoning " +
			"options, background runs and structured output are refused with OpenAI's error shape.",
		MaxBodyBytes: compatMaxBody(s), SkipValidateBody: true,
		Metadata: dialectMeta(dialectOpenAI),
		Errors:   []int{400, 401, 403, 404, 413, 415, 429, 502, 503, 504},
	}
	api.IdempotentOperation(&op, api.Idempotent{Streams: true})
	huma.Register(hapi, op, func(ctx context.Context, in *compatInput) (*huma.StreamResponse, error) {
		return s.startResponse(ctx, in)
	})
	documentCompat(hapi, op, ResponsesRequestDoc{}, Response{}, ResponseEvent{}, OpenAIErrorBody{})
	// These objects appear only in a response object, where each is null until it
	// applies; huma cannot mark a field with a struct type nullable.
	for _, name := range []string{"ResponseError", "IncompleteDetails", "ResponseUsage"} {
		if sch := hapi.OpenAPI().Components.Schemas.Map()[name]; sch != nil {
			sch.Nullable = true
		}
	}

	get := huma.Operation{
		OperationID: "openai-get-response", Method: http.MethodGet, Path: "/v1/responses/{id}",
		Summary: "Get a stored response (OpenAI Responses API)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "Returns a response this key created, as it was returned.",
		Metadata:    dialectMeta(dialectOpenAI), Errors: []int{401, 403, 404},
	}
	huma.Register(hapi, get, func(ctx context.Context, in *responseIDPath) (*struct{ Body json.RawMessage }, error) {
		r, err := s.Store.GetResponse(ctx, api.KeyFrom(ctx).ID, in.ID)
		if err != nil {
			return nil, responseLookupError(err, in.ID)
		}
		return &struct{ Body json.RawMessage }{Body: r.Body}, nil
	})
	get = *hapi.OpenAPI().Paths[get.Path].Get
	get.Responses["200"].Content["application/json"].Schema = hapi.OpenAPI().Components.Schemas.Schema(reflect.TypeOf(Response{}), true, "")
	documentCompatErrors(hapi, &get, OpenAIErrorBody{})
	del := huma.Operation{
		OperationID: "openai-delete-response", Method: http.MethodDelete, Path: "/v1/responses/{id}",
		Summary: "Delete a stored response (OpenAI Responses API)", Tags: []string{"compatibility"}, Security: api.KeySecurity,
		Description: "Forgets the response: it can no longer be read or continued. Its conversation and messages stay (DELETE /api/conversations/{id} removes them).",
		Metadata:    dialectMeta(dialectOpenAI), Errors: []int{401, 403, 404},
	}
	huma.Register(hapi, del, func(ctx context.Context, in *responseIDPath) (*struct{ Body ResponseDeleted }, error) {
		if err := s.Store.DeleteResponse(ctx, api.KeyFrom(ctx).ID, in.ID); err != nil {
			return nil, responseLookupError(err, in.ID)
		}
		return &struct{ Body ResponseDeleted }{Body: ResponseDeleted{ID: in.ID, Object: "response.deleted", Deleted: true}}, nil
	})
	documentCompatErrors(hapi, hapi.OpenAPI().Paths[del.Path].Delete, OpenAIErrorBody{})
}

func responseLookupError(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return asCompat(dialectOpenAI, api.NewProblem(http.StatusNotFound, api.CodeNotFound, "response "+id+" does not exist"), "id")
	}
	return asCompat(dialectOpenAI, api.ToProblem(err), "")
}

// responseCall is one Responses request on its way through a turn.
type responseCall struct {
	req   *ResponsesRequest
	frame ResponseFrame
	t     *actors.Turn
}

// startResponse parses the request, finds the conversation it continues, starts
// the turn and returns the writer of the reply, as startCompat does.
func (s *server) startResponse(ctx context.Context, in *compatInput) (*huma.StreamResponse, error) {
	t := s.BeginTurn(ctx, "")
	fail := func(p *api.Problem, param string) (*huma.StreamResponse, error) {
		ce := asCompat(dialectOpenAI, p, param)
		t.Refuse(ce.p.Status, p)
		return nil, ce
	}
	if p := in.mediaProblem(); p != nil {
		return fail(p, "")
	}
	req, perr := ParseResponses(in.RawBody)
	if perr != nil {
		return fail(api.NewProblem(perr.Status, perr.Code, perr.Message), perr.Param)
	}
	t.SetModel(req.Model)
	prior, next := Split(req.Messages)
	chat := &api.ChatRequest{Message: Transcript(prior, next), Model: req.Model, Temperature: req.Temperature,
		MaxTokens: req.MaxTokens, SystemPrompt: req.System, Stream: req.Stream}
	if req.PreviousResponseID != "" {
		conv, p := s.previousConversation(ctx, req.PreviousResponseID)
		if p != nil {
			return fail(p, "previous_response_id")
		}
		chat.ConversationID = conv
	}
	areq, events, p := s.StartTurn(ctx, t, chat, nil)
	if p != nil {
		return fail(p, "")
	}
	c := &responseCall{req: req, t: t, frame: ResponseFrame{
		ID: "resp_" + randomHex(), ItemID: "msg_" + randomHex(), CreatedAt: t.Start().Unix(), Model: areq.Model, Req: req}}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		if req.Stream {
			s.RunStream(hctx, t, events, &responseTurnStream{s: s, hctx: hctx, c: c})
			return
		}
		res, p := api.AwaitTurn(t, events)
		if p != nil {
			asCompat(dialectOpenAI, p, "").WriteTo(hctx)
			return
		}
		out := c.frame.Finished(compatResult(*res))
		s.keepResponse(hctx.Context(), c, res.ConversationID, out)
		hctx.SetHeader("X-Conversation-Id", res.ConversationID)
		hctx.SetHeader("Content-Type", "application/json")
		hctx.SetStatus(http.StatusOK)
		api.WriteJSONBody(hctx.BodyWriter(), out)
	}}, nil
}

// previousConversation returns the conversation of a stored response, which must
// be the latest turn of that conversation: branching from an older response
// would need a second CLI session.
func (s *server) previousConversation(ctx context.Context, id string) (string, *api.Problem) {
	key := api.KeyFrom(ctx).ID
	r, err := s.Store.GetResponse(ctx, key, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", api.NewProblem(http.StatusNotFound, api.CodeNotFound, "previous response "+id+" does not exist")
	}
	if err != nil {
		return "", api.ToProblem(err)
	}
	last, err := s.Store.ListMessagesPage(ctx, r.ConversationID, store.MessagePageQuery{Limit: 1})
	if err != nil {
		return "", api.ToProblem(err)
	}
	if msgs := last.Messages; len(msgs) == 0 || msgs[0].Seq != r.MessageSeq {
		return "", api.NewProblem(http.StatusBadRequest, "previous_response_not_latest",
			"previous response "+id+" is not the latest of its conversation: continuing from an earlier response is not supported")
	}
	return r.ConversationID, nil
}

// keepResponse stores a finished response so it can be read back and continued,
// unless the client asked otherwise. A store failure costs only that.
func (s *server) keepResponse(ctx context.Context, c *responseCall, conversationID string, out Response) {
	if !c.req.Store || conversationID == "" {
		return
	}
	ctx = context.WithoutCancel(ctx)
	last, err := s.Store.ListMessagesPage(ctx, conversationID, store.MessagePageQuery{Limit: 1})
	if err == nil && len(last.Messages) > 0 {
		var body []byte
		if body, err = json.Marshal(out); err == nil {
			err = s.Store.PutResponse(ctx, &store.StoredResponse{ID: out.ID, APIKeyID: api.KeyFrom(ctx).ID, ConversationID: conversationID,
				MessageSeq: last.Messages[0].Seq, Body: body})
		}
	}
	if err != nil {
		s.Log.Warn("responses: could not store a response", "response_id", out.ID, "conversation_id", conversationID, "err", err)
	}
}

// responseTurnStream writes a turn as the Responses API's event stream.
type responseTurnStream struct {
	s    *server
	hctx huma.Context
	c    *responseCall
	out  *api.SSEWriter
	rs   *ResponseStream
}

func (t *responseTurnStream) Started(st actors.Started) {
	t.hctx.SetHeader("X-Conversation-Id", st.ConversationID)
}

func (t *responseTurnStream) Refuse(hctx huma.Context, p *api.Problem) {
	asCompat(dialectOpenAI, p, "").WriteTo(hctx)
}

func (t *responseTurnStream) Open() error {
	t.out = t.s.NewSSEWriter(t.hctx)
	t.rs = &ResponseStream{Frame: t.c.frame}
	return t.send(t.rs.Start()...)
}

func (t *responseTurnStream) KeepAlive() error { return t.out.Comment("keep-alive") }

func (t *responseTurnStream) Event(ev actors.Event) (stop bool) {
	switch ev := ev.(type) {
	case actors.Delta:
		return t.send(t.rs.Delta(ev.Text)) != nil
	case actors.Queued:
		return t.KeepAlive() != nil
	case actors.Done:
		events := t.rs.Finish(compatResult(ev.Result))
		t.s.keepResponse(t.hctx.Context(), t.c, ev.Result.ConversationID, *events[len(events)-1].Response)
		_ = t.send(events...)
		return true
	case actors.Failed:
		p := api.ToProblem(ev.Err)
		_ = t.send(t.rs.Fail(p.Code, p.Detail, api.RequestIDFrom(t.hctx.Context()))...)
		return true
	}
	return false
}

func (t *responseTurnStream) send(events ...ResponseEvent) error {
	for _, ev := range events {
		b, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := t.out.Send(ev.Type, b); err != nil {
			return err
		}
	}
	return nil
}

func randomHex() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
