package ccgateway

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"mime"
	"net/http"
	"strings"
)

// Event is one server-sent event: its name (the `event:` field, "message" when
// absent), its id and its data lines joined by newlines.
type Event struct {
	Name string
	ID   string
	Data []byte
}

// ReadEvents yields the events of a text/event-stream body in order. Comments
// (keep-alives) are skipped. It stops at the end of the body or at the first read
// error, which it yields once.
func ReadEvents(body io.Reader) iter.Seq2[Event, error] {
	return func(yield func(Event, error) bool) {
		sc := bufio.NewScanner(body)
		sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
		var ev Event
		var data [][]byte
		dispatch := func() bool {
			if data == nil {
				ev = Event{}
				return true
			}
			if ev.Name == "" {
				ev.Name = "message"
			}
			ev.Data = bytes.Join(data, []byte("\n"))
			ok := yield(ev, nil)
			ev, data = Event{}, nil
			return ok
		}
		for sc.Scan() {
			line := sc.Bytes()
			if len(line) == 0 {
				if !dispatch() {
					return
				}
				continue
			}
			if line[0] == ':' {
				continue
			}
			field, value, _ := bytes.Cut(line, []byte(":"))
			value = bytes.TrimPrefix(value, []byte(" "))
			switch string(field) {
			case "event":
				ev.Name = string(value)
			case "id":
				ev.ID = string(value)
			case "data":
				data = append(data, append([]byte(nil), value...))
			}
		}
		if err := sc.Err(); err != nil {
			yield(Event{}, fmt.Errorf("ccgateway: reading the event stream: %w", err))
			return
		}
		dispatch()
	}
}

// ChatEvent is one typed event of a streamed chat: exactly one of the pointers is
// set, the one Type names (start, queued, delta, done or error).
type ChatEvent struct {
	Type   string
	Start  *StartEvent
	Queued *QueuedEvent
	Delta  *DeltaEvent
	Done   *ChatResponse
	Error  *Problem
}

// ProblemError is a non-2xx answer (or an `error` event) as a Go error.
type ProblemError struct {
	Status  int
	Problem Problem
}

func (e *ProblemError) Error() string {
	msg := e.Problem.Title
	if e.Problem.Detail != nil {
		msg = *e.Problem.Detail
	}
	return fmt.Sprintf("ccgateway: %d %s: %s", e.Status, e.Problem.Code, msg)
}

// ChatStream sends a chat with stream=true and returns its typed events. A refusal
// before the stream starts (a 4xx or 5xx problem) is returned as a *ProblemError.
// The iterator closes the body when the loop ends.
func (c *Client) ChatStream(ctx context.Context, body CreateChatJSONRequestBody, reqEditors ...RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	return chatStream(ctx, c, body, reqEditors)
}

// ChatStream is [Client.ChatStream] on a ClientWithResponses.
func (c *ClientWithResponses) ChatStream(ctx context.Context, body CreateChatJSONRequestBody, reqEditors ...RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	return chatStream(ctx, c.ClientInterface, body, reqEditors)
}

// ContinueConversationStream is [Client.ContinueConversationStream] on a ClientWithResponses.
func (c *ClientWithResponses) ContinueConversationStream(ctx context.Context, id string, body ContinueConversationJSONRequestBody, reqEditors ...RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	return continueStream(ctx, c.ClientInterface, id, body, reqEditors)
}

func chatStream(ctx context.Context, c ClientInterface, body CreateChatJSONRequestBody, reqEditors []RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	stream := true
	body.Stream = &stream
	resp, err := c.CreateChat(ctx, nil, body, reqEditors...) // a stream takes no Idempotency-Key
	if err != nil {
		return nil, err
	}
	return ChatEvents(resp)
}

// ContinueConversationStream sends the next turn of a conversation with
// stream=true and returns its typed events, as ChatStream does.
func (c *Client) ContinueConversationStream(ctx context.Context, id string, body ContinueConversationJSONRequestBody, reqEditors ...RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	return continueStream(ctx, c, id, body, reqEditors)
}

func continueStream(ctx context.Context, c ClientInterface, id string, body ContinueConversationJSONRequestBody, reqEditors []RequestEditorFn) (iter.Seq2[ChatEvent, error], error) {
	stream := true
	body.Stream = &stream
	resp, err := c.ContinueConversation(ctx, id, body, reqEditors...)
	if err != nil {
		return nil, err
	}
	return ChatEvents(resp)
}

// ChatEvents decodes a streamed chat response: a 200 text/event-stream body
// becomes typed events; any other answer is read whole and returned as an error
// (a *ProblemError when the body is a problem).
func ChatEvents(resp *http.Response) (iter.Seq2[ChatEvent, error], error) {
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode != http.StatusOK || mt != "text/event-stream" {
		defer resp.Body.Close()
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var p Problem
		if strings.HasSuffix(mt, "json") && json.Unmarshal(raw, &p) == nil && p.Code != "" {
			return nil, &ProblemError{Status: resp.StatusCode, Problem: p}
		}
		return nil, fmt.Errorf("ccgateway: expected a 200 event stream, got %d %s: %.200s", resp.StatusCode, mt, raw)
	}
	return func(yield func(ChatEvent, error) bool) {
		defer resp.Body.Close()
		for ev, err := range ReadEvents(resp.Body) {
			if err != nil {
				yield(ChatEvent{}, err)
				return
			}
			ce, err := decodeChatEvent(ev)
			if !yield(ce, err) || err != nil {
				return
			}
		}
	}, nil
}

func decodeChatEvent(ev Event) (ChatEvent, error) {
	ce := ChatEvent{Type: ev.Name}
	var target any
	switch ev.Name {
	case "start":
		ce.Start = new(StartEvent)
		target = ce.Start
	case "queued":
		ce.Queued = new(QueuedEvent)
		target = ce.Queued
	case "delta":
		ce.Delta = new(DeltaEvent)
		target = ce.Delta
	case "done":
		ce.Done = new(ChatResponse)
		target = ce.Done
	case "error":
		ce.Error = new(Problem)
		target = ce.Error
	default:
		return ce, nil // an event a newer gateway sends: passed on untyped
	}
	if err := json.Unmarshal(ev.Data, target); err != nil {
		return ce, fmt.Errorf("ccgateway: a %q event: %w", ev.Name, err)
	}
	return ce, nil
}

// Text collects a streamed chat: the final reply, or the stream's error event as a
// *ProblemError (status from the problem).
func Text(events iter.Seq2[ChatEvent, error]) (*ChatResponse, error) {
	for ev, err := range events {
		if err != nil {
			return nil, err
		}
		switch {
		case ev.Done != nil:
			return ev.Done, nil
		case ev.Error != nil:
			return nil, &ProblemError{Status: int(ev.Error.Status), Problem: *ev.Error}
		}
	}
	return nil, errors.New("ccgateway: the event stream ended without a done or error event")
}
