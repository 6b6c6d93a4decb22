package compat

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Roles of the normalized history.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Message is one normalized turn of a client's history: a role and its text.
type Message struct {
	Role string
	Text string
}

// Request is a client's call reduced to what the gateway can honour. Messages is the
// whole history the client sent, normalized (see Normalize), ending with the new
// user turn.
type Request struct {
	Model       string
	System      string
	Messages    []Message
	MaxTokens   int
	Temperature *float64
	// StopSequences are OpenAI's stop or Anthropic's stop_sequences, checked with
	// the CLI driver's rules (actors.ValidateStopSequence).
	StopSequences []string
	Stream        bool
	IncludeUsage  bool // OpenAI stream_options.include_usage
}

// MaxOutputTokens is the largest max_tokens the gateway passes to the CLI.
const MaxOutputTokens = 128000

// Error is a request the gateway refuses before running anything. Status is the
// HTTP status, Code a stable machine-readable code, Param the offending field.
type Error struct {
	Status  int
	Code    string
	Param   string
	Message string
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Codes of the request errors this package reports.
const (
	CodeInvalidRequest = "invalid_request"
	CodeUnsupported    = "unsupported_parameter"
	CodeUnsupportedMsg = "unsupported_content"
)

func invalid(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeInvalidRequest, Param: param, Message: fmt.Sprintf(format, args...)}
}

func unsupported(param, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: CodeUnsupported, Param: param, Message: fmt.Sprintf(format, args...)}
}

// decodeBody parses a JSON object, ignoring fields the target does not name: SDKs
// send fields this gateway neither needs nor rejects.
func decodeBody(body []byte, v any) *Error {
	if err := json.Unmarshal(body, v); err != nil {
		return invalid("", "the request body is not valid JSON for this endpoint: %v", err)
	}
	return nil
}

// checkCommon validates the fields both dialects share once they are mapped.
func checkCommon(r *Request) *Error {
	if r.MaxTokens < 0 || r.MaxTokens > MaxOutputTokens {
		return invalid("max_tokens", "max_tokens must be between 1 and %d", MaxOutputTokens)
	}
	if r.Temperature != nil && *r.Temperature < 0 {
		return invalid("temperature", "temperature must not be negative")
	}
	if len(r.Messages) == 0 {
		return invalid("messages", "messages must contain at least one user message")
	}
	if r.Messages[len(r.Messages)-1].Role != RoleUser {
		return unsupported("messages", "the last message must come from the user: assistant prefill is not supported")
	}
	return nil
}

// isSet reports whether a raw JSON field is present and not null, false, 0, "" or empty.
func isSet(raw json.RawMessage) bool {
	switch string(raw) {
	case "", "null", "false", "0", `""`, "[]", "{}":
		return false
	}
	return true
}
