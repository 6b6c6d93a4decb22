package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
)

// writeJSONBody encodes v; a failed write means the client left, which the turn's
// context already handles.
func writeJSONBody(w io.Writer, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

// sseWriter writes server-sent events and flushes each one.
type sseWriter struct {
	w     io.Writer
	flush func()
}

func newSSEWriter(hctx huma.Context) *sseWriter {
	w := hctx.BodyWriter()
	flush := func() {}
	if f, ok := w.(http.Flusher); ok {
		flush = f.Flush
	}
	return &sseWriter{w: w, flush: flush}
}

func (s *sseWriter) event(name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(s.w, "event: %s\ndata: %s\n\n", name, b); err != nil {
		return err
	}
	s.flush()
	return nil
}

func (s *sseWriter) comment(text string) error {
	if _, err := fmt.Fprintf(s.w, ": %s\n\n", text); err != nil {
		return err
	}
	s.flush()
	return nil
}

// sseEvent maps an actor event to its SSE name and payload; final reports the end.
func sseEvent(ev actors.Event) (name string, data any, final bool) {
	switch ev := ev.(type) {
	case actors.Started:
		return "start", StartEvent{ConversationID: ev.ConversationID, Model: ev.Model}, false
	case actors.Queued:
		return "queued", QueuedEvent{Position: ev.Position}, false
	case actors.Delta:
		return "delta", DeltaEvent{Text: ev.Text}, false
	case actors.Done:
		return "done", chatResponse(ev.Result), true
	case actors.Failed:
		return "error", toProblem(ev.Err), true
	}
	return "", nil, false
}

// turnStream is how one stream dialect (native SSE, OpenAI, Anthropic) writes a
// turn's events.
type turnStream interface {
	// started sees the Started event while the response is still held.
	started(st actors.Started)
	// refuse answers an early failure as a plain HTTP error, before any commit.
	refuse(hctx huma.Context, p *Problem)
	// open writes what precedes the first event, after the 200 is committed.
	open() error
	// event writes one event and reports whether the stream is over.
	event(ev actors.Event) (stop bool)
	keepAlive() error
}

// runStream holds the response until the turn's first output (for at most
// StreamHold) so that a turn failing early gets a real HTTP error status; then it
// commits a 200 event stream, relays the events through ts, and keeps the
// connection alive during silences. The turn pipeline follows the turn to its
// end even when the client leaves first.
func (s *server) runStream(hctx huma.Context, t *actors.Turn, events <-chan actors.Event, ts turnStream) {
	defer t.Release()
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
			switch ev := ev.(type) {
			case actors.Failed:
				ts.refuse(hctx, toProblem(ev.Err))
				return
			case actors.Started:
				ts.started(ev)
				held = append(held, ev)
				continue
			}
			held = append(held, ev)
			break holding // output, a queue position or the end: commit now
		case <-hold.C:
			break holding
		}
	}
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	if ts.open() != nil {
		return
	}
	for _, ev := range held {
		if ts.event(ev) {
			return
		}
	}
	keep := time.NewTicker(s.Config.SSEKeepAlive)
	defer keep.Stop()
	if len(held) == 0 && ts.keepAlive() != nil { // flush the headers to the waiting client
		return
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ts.event(ev) {
				return
			}
		case <-keep.C:
			if ts.keepAlive() != nil {
				return
			}
		}
	}
}

// writeStream streams a native chat turn: start, queued, delta, done or error.
func (s *server) writeStream(hctx huma.Context, t *actors.Turn, events <-chan actors.Event) {
	s.runStream(hctx, t, events, &nativeStream{out: newSSEWriter(hctx)})
}

// nativeStream writes ccgateway's own SSE events.
type nativeStream struct{ out *sseWriter }

func (n *nativeStream) started(actors.Started)               {}
func (n *nativeStream) refuse(hctx huma.Context, p *Problem) { writeProblem(hctx, p) }
func (n *nativeStream) open() error                          { return nil }
func (n *nativeStream) keepAlive() error                     { return n.out.comment("keep-alive") }

func (n *nativeStream) event(ev actors.Event) bool {
	name, data, final := sseEvent(ev)
	if name == "" {
		return false
	}
	return n.out.event(name, data) != nil || final
}
