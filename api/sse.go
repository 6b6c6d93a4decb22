package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/ccgateway/ccgateway/actors"
)

// WriteJSONBody encodes v; a failed write means the client left, which the turn's
// context already handles.
func WriteJSONBody(w io.Writer, v any) {
	_ = json.NewEncoder(w).Encode(v)
}

// SSEWriter writes server-sent events and flushes each one. Each write has
// WriteTimeout to reach the client: a client that stops reading (its receive
// window full) fails the write instead of pinning the stream, and the stream
// ends as if the client had left.
type SSEWriter struct {
	w       io.Writer
	rc      *http.ResponseController
	timeout time.Duration
}

// NewSSEWriter writes hctx's response with the stream-write-timeout setting.
func (s *Server) NewSSEWriter(hctx huma.Context) *SSEWriter {
	return NewSSEWriter(hctx, s.Config.StreamWriteTimeout)
}

// NewSSEWriter writes hctx's response; timeout bounds each write (0: none).
func NewSSEWriter(hctx huma.Context, timeout time.Duration) *SSEWriter {
	out := &SSEWriter{w: hctx.BodyWriter(), timeout: timeout}
	if _, w := humachi.Unwrap(hctx); w != nil {
		out.rc = http.NewResponseController(w)
	} else if w, ok := out.w.(http.ResponseWriter); ok {
		out.rc = http.NewResponseController(w)
	}
	return out
}

// write sends p and flushes it under the write deadline, which is lifted again
// afterwards: the server's own last write (the end of the chunked body) must not
// meet a deadline set long before.
func (s *SSEWriter) write(p []byte) error {
	if s.rc == nil {
		_, err := s.w.Write(p)
		return err
	}
	deadline := s.timeout > 0 && s.rc.SetWriteDeadline(time.Now().Add(s.timeout)) == nil
	_, err := s.w.Write(p)
	if err == nil {
		if err = s.rc.Flush(); errors.Is(err, http.ErrNotSupported) {
			err = nil
		}
	}
	if deadline && err == nil {
		err = s.rc.SetWriteDeadline(time.Time{})
	}
	return err
}

// Event sends data, encoded as JSON, as the event name.
func (s *SSEWriter) Event(name string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	return s.Send(name, b)
}

// Send sends one event with data as it is; an empty name leaves out the event
// line (the client sees a "message" event, as the OpenAI dialect expects).
func (s *SSEWriter) Send(name string, data []byte) error {
	if name != "" {
		return s.write(fmt.Appendf(nil, "event: %s\ndata: %s\n\n", name, data))
	}
	return s.write(fmt.Appendf(nil, "data: %s\n\n", data))
}

// Comment sends a comment line, which clients ignore (a keep-alive).
func (s *SSEWriter) Comment(text string) error {
	return s.write(fmt.Appendf(nil, ": %s\n\n", text))
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
		return "done", NewChatResponse(ev.Result), true
	case actors.Failed:
		return "error", ToProblem(ev.Err), true
	}
	return "", nil, false
}

// TurnStream is how one stream dialect (native SSE, OpenAI, Anthropic) writes a
// turn's events.
type TurnStream interface {
	// Started sees the Started event while the response is still held.
	Started(st actors.Started)
	// Refuse answers an early failure as a plain HTTP error, before any commit.
	Refuse(hctx huma.Context, p *Problem)
	// Open writes what precedes the first event, after the 200 is committed.
	Open() error
	// Event writes one Event and reports whether the stream is over.
	Event(ev actors.Event) (stop bool)
	KeepAlive() error
}

// runStream holds the response until the turn's first output (for at most
// StreamHold) so that a turn failing early gets a real HTTP error status; then it
// commits a 200 event stream, relays the events through ts, and keeps the
// connection alive during silences. The turn pipeline follows the turn to its
// end even when the client leaves first.
func (s *Server) RunStream(hctx huma.Context, t *actors.Turn, events <-chan actors.Event, ts TurnStream) {
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
				ts.Refuse(hctx, ToProblem(ev.Err))
				return
			case actors.Started:
				ts.Started(ev)
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
	if ts.Open() != nil {
		return
	}
	for _, ev := range held {
		if ts.Event(ev) {
			return
		}
	}
	keep := time.NewTicker(s.Config.SSEKeepAlive)
	defer keep.Stop()
	if len(held) == 0 && ts.KeepAlive() != nil { // flush the headers to the waiting client
		return
	}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return
			}
			if ts.Event(ev) {
				return
			}
		case <-keep.C:
			if ts.KeepAlive() != nil {
				return
			}
		}
	}
}

// writeStream streams a native chat turn: start, queued, delta, done or error.
func (s *Server) WriteStream(hctx huma.Context, t *actors.Turn, events <-chan actors.Event) {
	s.RunStream(hctx, t, events, &nativeStream{out: s.NewSSEWriter(hctx)})
}

// nativeStream writes ccgateway's own SSE events.
type nativeStream struct{ out *SSEWriter }

func (n *nativeStream) Started(actors.Started)               {}
func (n *nativeStream) Refuse(hctx huma.Context, p *Problem) { WriteProblem(hctx, p) }
func (n *nativeStream) Open() error                          { return nil }
func (n *nativeStream) KeepAlive() error                     { return n.out.Comment("keep-alive") }

func (n *nativeStream) Event(ev actors.Event) bool {
	name, data, final := sseEvent(ev)
	if name == "" {
		return false
	}
	return n.out.Event(name, data) != nil || final
}
