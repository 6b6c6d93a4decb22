package compat

import (
	"encoding/json"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

// compatEmitter writes one dialect's event stream.
type compatEmitter interface {
	open(model string) error
	text(s string) error
	done(r Result) error
	fail(e *compatError) error
	KeepAlive() error
}

// writeCompatStream streams a turn in the client's dialect, holding the response
// until the first output as the native stream does, so that a turn failing early
// gets a real HTTP error in the client's shape.
func (s *server) writeCompatStream(hctx huma.Context, c *compatCall, events <-chan actors.Event, model string) {
	s.RunStream(hctx, c.t, events, &compatTurnStream{s: s, hctx: hctx, c: c, model: model})
}

// compatTurnStream adapts a dialect's emitter to runStream.
type compatTurnStream struct {
	s     *server
	hctx  huma.Context
	c     *compatCall
	model string
	em    compatEmitter
}

func (t *compatTurnStream) Started(st actors.Started) {
	t.hctx.SetHeader("X-Conversation-Id", st.ConversationID)
}

func (t *compatTurnStream) Refuse(hctx huma.Context, p *api.Problem) {
	asCompat(t.c.d, p, "").WriteTo(hctx)
}

func (t *compatTurnStream) Open() error {
	t.em = t.c.emitter(t.s.NewSSEWriter(t.hctx))
	return t.em.open(t.model)
}

func (t *compatTurnStream) KeepAlive() error { return t.em.KeepAlive() }

func (t *compatTurnStream) Event(ev actors.Event) (stop bool) {
	switch ev := ev.(type) {
	case actors.Delta:
		return t.em.text(ev.Text) != nil
	case actors.Queued:
		return t.em.KeepAlive() != nil
	case actors.Done:
		t.s.rememberHistory(t.hctx.Context(), api.KeyFrom(t.hctx.Context()).ID, ev.Result.ConversationID, t.c.turn, ev.Result.Content)
		_ = t.em.done(compatResult(ev.Result))
		return true
	case actors.Failed:
		_ = t.em.fail(asCompat(t.c.d, api.ToProblem(ev.Err), ""))
		return true
	}
	return false
}

// emitter returns the stream writer of the call's dialect.
func (c *compatCall) emitter(out *api.SSEWriter) compatEmitter {
	if c.d == dialectAnthropic {
		return &anthropicEmitter{out: out, id: c.id}
	}
	return &openAIEmitter{out: out, cs: ChunkStream{ID: c.id, Created: c.t.Start().Unix()}, usage: c.req.IncludeUsage}
}

// openAIEmitter writes chat.completion.chunk lines ending with data: [DONE].
type openAIEmitter struct {
	out   *api.SSEWriter
	cs    ChunkStream
	usage bool
}

func (e *openAIEmitter) data(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return e.out.Send("", b)
}

func (e *openAIEmitter) open(model string) error {
	e.cs.Model = model
	return e.data(e.cs.Role())
}

func (e *openAIEmitter) text(s string) error { return e.data(e.cs.Text(s)) }

func (e *openAIEmitter) done(r Result) error {
	if err := e.data(e.cs.Finish(r.StopReason)); err != nil {
		return err
	}
	if e.usage {
		if err := e.data(e.cs.Usage(r.Usage)); err != nil {
			return err
		}
	}
	return e.out.Send("", []byte("[DONE]"))
}

// fail sends the error as a data line with an "error" key, which the OpenAI SDKs
// raise as a stream error; no [DONE] follows.
func (e *openAIEmitter) fail(ce *compatError) error { return e.data(ce.body()) }

func (e *openAIEmitter) KeepAlive() error { return e.out.Comment("keep-alive") }

// anthropicEmitter writes the Messages stream: message_start, ping,
// content_block_start, content_block_delta..., content_block_stop,
// message_delta, message_stop.
type anthropicEmitter struct {
	out *api.SSEWriter
	id  string
}

func (e *anthropicEmitter) send(evs ...StreamEvent) error {
	for _, ev := range evs {
		if err := e.out.Event(ev.Name, ev.Data); err != nil {
			return err
		}
	}
	return nil
}

func (e *anthropicEmitter) open(model string) error {
	return e.send(MessageStart(e.id, model), BlockStart(), Ping())
}

func (e *anthropicEmitter) text(s string) error { return e.send(BlockDelta(s)) }

func (e *anthropicEmitter) done(r Result) error {
	return e.send(BlockStop(), MessageDelta(r), MessageStop())
}

func (e *anthropicEmitter) fail(ce *compatError) error { return e.out.Event("error", ce.body()) }

func (e *anthropicEmitter) KeepAlive() error { return e.send(Ping()) }
