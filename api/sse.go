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

// drain consumes what is left of a turn's events after the writer stopped early
// (the client left), so the producer never blocks and the usage record still
// learns how the turn ended.
func drain(events <-chan actors.Event, rec *usageRecord) {
	go func() {
		for ev := range events {
			rec.observe(ev)
		}
	}()
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

// writeStream holds the response until the turn's first output (for at most
// StreamHold) so that a turn failing early gets a real HTTP error status; then it commits a 200 event stream, relays the
// events, and sends keep-alive comments during silences.
func (s *server) writeStream(hctx huma.Context, events <-chan actors.Event, rec *usageRecord) {
	defer drain(events, rec)
	rec.stream = true
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
			rec.observe(ev)
			if f, failed := ev.(actors.Failed); failed {
				writeProblem(hctx, toProblem(f.Err))
				return
			}
			held = append(held, ev)
			if _, started := ev.(actors.Started); !started {
				break holding // output, a queue position or the end: commit now
			}
		case <-hold.C:
			break holding
		}
	}
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	out := newSSEWriter(hctx)
	for _, ev := range held {
		name, data, final := sseEvent(ev)
		if name == "" {
			continue
		}
		if out.event(name, data) != nil || final {
			return
		}
	}
	keep := time.NewTicker(s.Config.SSEKeepAlive)
	defer keep.Stop()
	if len(held) == 0 {
		_ = out.comment("waiting")
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			rec.observe(ev)
			name, data, final := sseEvent(ev)
			if name == "" {
				continue
			}
			if out.event(name, data) != nil || final {
				return
			}
		case <-keep.C:
			if out.comment("keep-alive") != nil {
				return
			}
		}
	}
}
