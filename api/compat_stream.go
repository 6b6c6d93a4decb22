package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/compat"
)

// compatEmitter writes one dialect's event stream.
type compatEmitter interface {
	open(model string) error
	text(s string) error
	done(r compat.Result) error
	fail(e *compatError) error
	keepAlive() error
}

// writeCompatStream holds the response until the turn's first output, as the
// native stream does, so that a turn failing early gets a real HTTP error in the
// client's shape; then it commits a 200 event stream in the dialect's format.
func (s *server) writeCompatStream(hctx huma.Context, c *compatCall, events <-chan actors.Event, model string) {
	defer drain(events, c.rec)
	c.rec.stream = true
	var held []actors.Event
	hold := time.NewTimer(s.Config.StreamHold)
	defer hold.Stop()
holding:
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				break holding
			}
			c.rec.observe(ev)
			if f, failed := ev.(actors.Failed); failed {
				asCompat(c.d, toProblem(f.Err), "").write(hctx)
				return
			}
			held = append(held, ev)
			if st, started := ev.(actors.Started); started {
				hctx.SetHeader("X-Conversation-Id", st.ConversationID)
				continue
			}
			break holding
		case <-hold.C:
			break holding
		}
	}
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	out := newSSEWriter(hctx)
	em := c.emitter(out)
	if em.open(model) != nil {
		return
	}
	relay := func(ev actors.Event) (stop bool) {
		switch ev := ev.(type) {
		case actors.Delta:
			return em.text(ev.Text) != nil
		case actors.Queued:
			return em.keepAlive() != nil
		case actors.Done:
			s.rememberHistory(hctx.Context(), keyFrom(hctx.Context()).ID, ev.Result.ConversationID, c.turn, ev.Result.Content)
			_ = em.done(compatResult(ev.Result))
			return true
		case actors.Failed:
			_ = em.fail(asCompat(c.d, toProblem(ev.Err), ""))
			return true
		}
		return false
	}
	for _, ev := range held {
		if relay(ev) {
			return
		}
	}
	keep := time.NewTicker(s.Config.SSEKeepAlive)
	defer keep.Stop()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			c.rec.observe(ev)
			if relay(ev) {
				return
			}
		case <-keep.C:
			if em.keepAlive() != nil {
				return
			}
		}
	}
}

// emitter returns the stream writer of the call's dialect.
func (c *compatCall) emitter(out *sseWriter) compatEmitter {
	if c.d == dialectAnthropic {
		return &anthropicEmitter{out: out, id: c.id}
	}
	return &openAIEmitter{out: out, cs: compat.ChunkStream{ID: c.id, Created: c.rec.start.Unix()}, usage: c.req.IncludeUsage}
}

// openAIEmitter writes chat.completion.chunk lines ending with data: [DONE].
type openAIEmitter struct {
	out   *sseWriter
	cs    compat.ChunkStream
	usage bool
}

func (e *openAIEmitter) data(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(e.out.w, "data: %s\n\n", b); err != nil {
		return err
	}
	e.out.flush()
	return nil
}

func (e *openAIEmitter) open(model string) error {
	e.cs.Model = model
	return e.data(e.cs.Role())
}

func (e *openAIEmitter) text(s string) error { return e.data(e.cs.Text(s)) }

func (e *openAIEmitter) done(r compat.Result) error {
	if err := e.data(e.cs.Finish(r.StopReason)); err != nil {
		return err
	}
	if e.usage {
		if err := e.data(e.cs.Usage(r.Usage)); err != nil {
			return err
		}
	}
	if _, err := fmt.Fprint(e.out.w, "data: [DONE]\n\n"); err != nil {
		return err
	}
	e.out.flush()
	return nil
}

// fail sends the error as a data line with an "error" key, which the OpenAI SDKs
// raise as a stream error; no [DONE] follows.
func (e *openAIEmitter) fail(ce *compatError) error { return e.data(ce.body()) }

func (e *openAIEmitter) keepAlive() error { return e.out.comment("keep-alive") }

// anthropicEmitter writes the Messages stream: message_start, ping,
// content_block_start, content_block_delta..., content_block_stop,
// message_delta, message_stop.
type anthropicEmitter struct {
	out *sseWriter
	id  string
}

func (e *anthropicEmitter) send(evs ...compat.StreamEvent) error {
	for _, ev := range evs {
		if err := e.out.event(ev.Name, ev.Data); err != nil {
			return err
		}
	}
	return nil
}

func (e *anthropicEmitter) open(model string) error {
	return e.send(compat.MessageStart(e.id, model), compat.BlockStart(), compat.Ping())
}

func (e *anthropicEmitter) text(s string) error { return e.send(compat.BlockDelta(s)) }

func (e *anthropicEmitter) done(r compat.Result) error {
	return e.send(compat.BlockStop(), compat.MessageDelta(r), compat.MessageStop())
}

func (e *anthropicEmitter) fail(ce *compatError) error { return e.out.event("error", ce.body()) }

func (e *anthropicEmitter) keepAlive() error { return e.send(compat.Ping()) }
