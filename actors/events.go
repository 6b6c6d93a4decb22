package actors

// Usage is the token accounting the CLI reported for one turn.
type Usage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
}

// Total is every token the turn consumed.
func (u Usage) Total() int64 {
	return u.InputTokens + u.OutputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
}

// Result is a finished turn.
type Result struct {
	ID             string
	ConversationID string
	Model          string
	Content        string
	StopReason     string
	StopSequence   string // set when StopReason is "stop_sequence" and the CLI named it
	Usage          Usage
	CostUSD        float64
	DurationMS     int64
}

// Event is one item of a turn's stream: Started, Queued, Delta, Done or Failed.
// A stream ends with exactly one Done or Failed.
type Event interface{ isEvent() }

// Started says the turn has a CLI process and its conversation id.
type Started struct {
	ConversationID string
	Model          string
}

// Queued says the turn waits for a CLI process slot at Position (1 = next).
type Queued struct{ Position int }

// Delta is a piece of the assistant's text, in order.
type Delta struct{ Text string }

// Done ends a successful turn.
type Done struct{ Result Result }

// Failed ends a turn that did not complete. Usage and CostUSD are what the CLI
// spent on the turn before it failed (zero when nothing or unknown): the caller is
// charged for them all the same.
type Failed struct {
	Err     error
	Usage   Usage
	CostUSD float64
}

func (Started) isEvent() {}
func (Queued) isEvent()  {}
func (Delta) isEvent()   {}
func (Done) isEvent()    {}
func (Failed) isEvent()  {}
