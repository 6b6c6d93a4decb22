package testkit

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Request is one request the FakeAPI received, with the Messages API body decoded.
// Fields that the body does not carry stay zero; Raw always holds the body as sent.
type Request struct {
	Method string
	Path   string
	Header http.Header
	// Model, System, MaxTokens, Temperature, StopSequences and Stream come from the
	// JSON body. System is the text of all system blocks joined with "\n".
	Model         string
	System        string
	Messages      []Message
	MaxTokens     int
	Temperature   *float64
	StopSequences []string
	Stream        bool
	// Thinking is the body's "thinking" object, if any (e.g. {"type":"enabled",...}).
	Thinking json.RawMessage
	Raw      json.RawMessage
}

// Message is one entry of a request's messages array. Text joins the text of all its
// text blocks (or is the content itself when content is a plain string).
type Message struct {
	Role    string
	Text    string
	Content json.RawMessage
}

// LastUserText returns the text of the last user message, or "".
func (r *Request) LastUserText() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" {
			return r.Messages[i].Text
		}
	}
	return ""
}

// Usage is the token accounting the fake reports for a reply.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// Reply scripts how the FakeAPI answers one /v1/messages request. The zero value plus
// Text is a normal successful answer; the other fields inject faults.
type Reply struct {
	// Text is the assistant's answer. Chunks, when set, are the text_delta pieces
	// sent in order (their concatenation is the text); otherwise Text is split after
	// each space.
	Text   string
	Chunks []string
	// Usage overrides the FakeAPI's default usage numbers when non-zero.
	Usage      Usage
	StopReason string // default "end_turn"
	// StopSequence is the reply's stop_sequence (with StopReason "stop_sequence");
	// "" sends null.
	StopSequence string

	// Status, when not 0 or 200, answers with that HTTP status and an Anthropic error
	// body (401 authentication_error, 429 rate_limit_error, 529 overloaded_error,
	// other codes api_error). RetryAfter sets the retry-after header (whole seconds).
	Status     int
	RetryAfter time.Duration
	ErrorType  string
	ErrorMsg   string

	// FirstByteDelay delays the response headers; ChunkDelay sleeps between deltas.
	FirstByteDelay time.Duration
	ChunkDelay     time.Duration
	// Stall sends the first half of the deltas, then hangs until the client goes away
	// or the FakeAPI closes.
	Stall bool
	// Reset hijacks the connection and closes it without any response.
	Reset bool
}

// ReplyFunc decides the reply to one recorded request.
type ReplyFunc func(req *Request) Reply

// Status returns a ReplyFunc that always answers with HTTP status code.
func Status(code int) ReplyFunc {
	return func(*Request) Reply { return Reply{Status: code} }
}

// chunks returns the delta pieces of a reply.
func (r Reply) chunks() []string {
	if len(r.Chunks) > 0 {
		return r.Chunks
	}
	var out []string
	rest := r.Text
	for rest != "" {
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			out = append(out, rest)
			break
		}
		out = append(out, rest[:i+1])
		rest = rest[i+1:]
	}
	return out
}

// text returns the full answer text.
func (r Reply) text() string {
	if len(r.Chunks) > 0 {
		return strings.Join(r.Chunks, "")
	}
	return r.Text
}

// errorType returns the Anthropic error type for the reply's status.
func (r Reply) errorType() string {
	if r.ErrorType != "" {
		return r.ErrorType
	}
	switch r.Status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	case http.StatusBadRequest:
		return "invalid_request_error"
	}
	return "api_error"
}

// decodeBody fills the decoded fields of req from its raw JSON body.
func decodeBody(req *Request) {
	var b struct {
		Model    string          `json:"model"`
		System   json.RawMessage `json:"system"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		MaxTokens     int             `json:"max_tokens"`
		Temperature   *float64        `json:"temperature"`
		StopSequences []string        `json:"stop_sequences"`
		Stream        bool            `json:"stream"`
		Thinking      json.RawMessage `json:"thinking"`
	}
	if json.Unmarshal(req.Raw, &b) != nil {
		return
	}
	req.Model, req.MaxTokens, req.Temperature = b.Model, b.MaxTokens, b.Temperature
	req.StopSequences = b.StopSequences
	req.Stream, req.Thinking = b.Stream, b.Thinking
	req.System = contentText(b.System)
	for _, m := range b.Messages {
		req.Messages = append(req.Messages, Message{Role: m.Role, Text: contentText(m.Content), Content: m.Content})
	}
}

// contentText flattens a string-or-blocks content value to its text.
func contentText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &blocks) != nil {
		return ""
	}
	var parts []string
	for _, b := range blocks {
		if b.Type == "text" {
			parts = append(parts, b.Text)
		}
	}
	return strings.Join(parts, "\n")
}
