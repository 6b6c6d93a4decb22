package claudecli

import "time"

// Event is one thing that happened during a turn. The concrete types are Init,
// TextDelta, Block, APIRetry, Result and ErrorEvent; a turn's channel ends with
// exactly one Result or ErrorEvent.
type Event interface{ isEvent() }

// Init reports the session the CLI runs (sent at the start of every turn).
type Init struct {
	SessionID string
	Model     string
}

// TextDelta is a piece of the assistant's text as it streams.
type TextDelta struct {
	Text string
}

// Block is one complete content block of the assistant's answer (type "text",
// "thinking", "tool_use", ...). After a fallback to a non-streaming request, blocks
// arrive without any TextDelta before them.
type Block struct {
	Type string
	Text string
}

// APIRetry reports that the CLI will retry a failed API request after RetryDelay.
type APIRetry struct {
	Attempt     int
	MaxRetries  int
	RetryDelay  time.Duration
	ErrorStatus int
}

// Usage is the token accounting of one turn, as measured by the API.
type Usage struct {
	InputTokens              int
	OutputTokens             int
	CacheReadInputTokens     int
	CacheCreationInputTokens int
}

// Result ends a successful turn. StopSequence is the stop sequence that ended the
// reply when StopReason is "stop_sequence" and the CLI's stream named it ("" when
// it did not, e.g. after a fallback to a non-streaming request that omitted it).
type Result struct {
	Text           string
	StopReason     string
	StopSequence   string
	TerminalReason string
	SessionID      string
	Usage          Usage
	CostUSD        float64
	DurationMS     int
	NumTurns       int
}

// ErrorEvent ends a failed turn.
type ErrorEvent struct {
	Err *Error
}

func (Init) isEvent()       {}
func (TextDelta) isEvent()  {}
func (Block) isEvent()      {}
func (APIRetry) isEvent()   {}
func (Result) isEvent()     {}
func (ErrorEvent) isEvent() {}
