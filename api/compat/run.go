package compat

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

// compatInput is the input of the chat-like compatibility operations. The body is
// taken raw: these clients send fields huma's schema validation would reject, so
// the handler parses it, ignores unknown fields and refuses unsupported ones.
type compatInput struct {
	ConversationID   string `header:"X-Conversation-Id" doc:"Continue this stored conversation; then only the last user message is sent and the earlier messages of the request are not used"`
	AnthropicVersion string `header:"anthropic-version" doc:"Accepted and ignored: the gateway speaks one version of the Messages API"`
	ContentType      string `header:"Content-Type" hidden:"true"`
	RawBody          []byte `contentType:"application/json"`
}

// mediaProblem refuses a body that is not JSON, as the native endpoints do (huma
// answers them 415): the raw body of these operations bypasses huma's check. An
// absent Content-Type is taken as JSON, which huma does too.
func (in *compatInput) mediaProblem() *api.Problem {
	if in.ContentType == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(in.ContentType)
	if err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return api.NewProblem(http.StatusUnsupportedMediaType, api.CodeUnsupportedMedia,
		fmt.Sprintf("the body must be application/json, not %q", in.ContentType))
}

// compatCall is one compatibility request on its way through a turn.
type compatCall struct {
	d    dialect
	req  *Request
	turn compatTurn
	id   string // response id
	t    *actors.Turn
}

// startCompat parses and checks the request, maps its history, starts the turn and
// returns the writer of the reply. Every error comes in the client's own shape.
func (s *server) startCompat(ctx context.Context, d dialect, in *compatInput, parse func([]byte) (*Request, *Error)) (*huma.StreamResponse, error) {
	c := &compatCall{d: d, t: s.BeginTurn(ctx, in.ConversationID)}
	fail := func(p *api.Problem, param string) (*huma.StreamResponse, error) {
		ce := asCompat(d, p, param)
		c.t.Refuse(ce.p.Status, p)
		return nil, ce
	}
	if p := in.mediaProblem(); p != nil {
		return fail(p, "")
	}
	req, perr := parse(in.RawBody)
	if perr != nil {
		return fail(api.NewProblem(perr.Status, perr.Code, perr.Message), perr.Param)
	}
	c.req = req
	c.t.SetModel(req.Model)
	k := api.KeyFrom(ctx)
	turn, p := s.resolveHistory(ctx, k.ID, in.ConversationID, req)
	if p != nil {
		return fail(p, "")
	}
	c.turn = turn
	areq, events, p := s.StartTurn(ctx, c.t, &api.ChatRequest{
		Message: turn.message, ConversationID: turn.conversationID, Model: req.Model,
		Temperature: req.Temperature, MaxTokens: req.MaxTokens, SystemPrompt: req.System, Stream: req.Stream,
		StopSequences: req.StopSequences,
	}, turn.conv)
	if p != nil {
		return fail(p, "")
	}
	c.id = newCompatID(d)
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		if req.Stream {
			s.writeCompatStream(hctx, c, events, areq.Model)
			return
		}
		s.writeCompatJSON(hctx, c, events)
	}}, nil
}

// writeCompatJSON waits for the turn's end and writes the reply or the error.
func (s *server) writeCompatJSON(hctx huma.Context, c *compatCall, events <-chan actors.Event) {
	res, p := api.AwaitTurn(c.t, events)
	if p != nil {
		asCompat(c.d, p, "").WriteTo(hctx)
		return
	}
	s.rememberHistory(hctx.Context(), api.KeyFrom(hctx.Context()).ID, res.ConversationID, c.turn, res.Content)
	hctx.SetHeader("X-Conversation-Id", res.ConversationID)
	hctx.SetHeader("Content-Type", "application/json")
	hctx.SetStatus(http.StatusOK)
	api.WriteJSONBody(hctx.BodyWriter(), c.response(*res))
}

// response is the non-streamed reply in the client's shape.
func (c *compatCall) response(r actors.Result) any {
	res := compatResult(r)
	if c.d == dialectAnthropic {
		return NewAnthropicMessage(c.id, res)
	}
	return NewChatCompletion(c.id, c.t.Start().Unix(), res)
}

// compatResult converts a finished turn.
func compatResult(r actors.Result) Result {
	return Result{ID: r.ID, Model: r.Model, Text: r.Content, StopReason: r.StopReason, StopSequence: r.StopSequence, Usage: Usage{
		InputTokens: r.Usage.InputTokens, OutputTokens: r.Usage.OutputTokens,
		CacheReadInputTokens: r.Usage.CacheReadInputTokens, CacheCreationInputTokens: r.Usage.CacheCreationInputTokens,
	}}
}

// newCompatID makes a response id in the style of the dialect.
func newCompatID(d dialect) string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	if d == dialectAnthropic {
		return "msg_" + hex.EncodeToString(b[:])
	}
	return "chatcmpl-" + hex.EncodeToString(b[:])
}
