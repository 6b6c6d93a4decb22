package compat

// AnthropicUsage is the Messages API's usage object.
type AnthropicUsage struct {
	InputTokens              int64 `json:"input_tokens"`
	OutputTokens             int64 `json:"output_tokens"`
	CacheCreationInputTokens int64 `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int64 `json:"cache_read_input_tokens"`
}

// NewAnthropicUsage converts a turn's usage.
func NewAnthropicUsage(u Usage) AnthropicUsage {
	return AnthropicUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens,
		CacheCreationInputTokens: u.CacheCreationInputTokens, CacheReadInputTokens: u.CacheReadInputTokens}
}

// TextBlock is a text content block.
type TextBlock struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// AnthropicMessage is a Messages API message object.
type AnthropicMessage struct {
	ID           string         `json:"id"`
	Type         string         `json:"type"`
	Role         string         `json:"role"`
	Model        string         `json:"model"`
	Content      []TextBlock    `json:"content"`
	StopReason   *string        `json:"stop_reason"`
	StopSequence *string        `json:"stop_sequence"`
	Usage        AnthropicUsage `json:"usage"`
}

// NewAnthropicMessage builds the response to a finished turn.
func NewAnthropicMessage(id string, r Result) AnthropicMessage {
	stop, seq := stopOf(r)
	return AnthropicMessage{ID: id, Type: "message", Role: RoleAssistant, Model: r.Model,
		Content: []TextBlock{{Type: "text", Text: r.Text}}, StopReason: &stop, StopSequence: seq, Usage: NewAnthropicUsage(r.Usage)}
}

// stopOf returns a result's stop_reason (end_turn when unknown) and its
// stop_sequence: null unless the reply ended on a stop sequence the CLI named.
func stopOf(r Result) (string, *string) {
	stop := r.StopReason
	if stop == "" {
		stop = "end_turn"
	}
	if stop != "stop_sequence" || r.StopSequence == "" {
		return stop, nil
	}
	seq := r.StopSequence
	return stop, &seq
}

// StreamEvent is one Messages stream event: its SSE event name and data.
type StreamEvent struct {
	Name string
	Data any
}

// MessageStart opens a stream. Usage is not known yet: the CLI reports it at the
// end, so the counts come in message_delta.
func MessageStart(id, model string) StreamEvent {
	return StreamEvent{"message_start", map[string]any{"type": "message_start", "message": AnthropicMessage{
		ID: id, Type: "message", Role: RoleAssistant, Model: model, Content: []TextBlock{}}}}
}

// BlockStart opens the text block.
func BlockStart() StreamEvent {
	return StreamEvent{"content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": TextBlock{Type: "text", Text: ""}}}
}

// BlockDelta carries a piece of the reply.
func BlockDelta(text string) StreamEvent {
	return StreamEvent{"content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
		"delta": map[string]string{"type": "text_delta", "text": text}}}
}

// BlockStop closes the text block.
func BlockStop() StreamEvent {
	return StreamEvent{"content_block_stop", map[string]any{"type": "content_block_stop", "index": 0}}
}

// MessageDelta carries the stop reason and the whole turn's usage.
func MessageDelta(r Result) StreamEvent {
	stop, seq := stopOf(r)
	return StreamEvent{"message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": seq}, "usage": NewAnthropicUsage(r.Usage)}}
}

// MessageStop ends a stream.
func MessageStop() StreamEvent {
	return StreamEvent{"message_stop", map[string]any{"type": "message_stop"}}
}

// Ping keeps a stream alive.
func Ping() StreamEvent { return StreamEvent{"ping", map[string]any{"type": "ping"}} }
