package compat

// Usage is a turn's token accounting as the CLI measured it.
type Usage struct {
	InputTokens              int64
	OutputTokens             int64
	CacheReadInputTokens     int64
	CacheCreationInputTokens int64
}

// Result is a finished turn in the terms both dialects need.
type Result struct {
	ID         string
	Model      string
	Text       string
	StopReason string // the CLI's (Anthropic's) stop reason
	// StopSequence is the stop sequence that ended the reply (StopReason
	// "stop_sequence"), or "" when the CLI did not name it.
	StopSequence string
	Usage        Usage
}

// OpenAIUsage is Chat Completions' usage object. Prompt tokens include cached ones,
// as OpenAI counts them; the cached part is in the details.
type OpenAIUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	TotalTokens         int64 `json:"total_tokens"`
	PromptTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

// NewOpenAIUsage converts a turn's usage.
func NewOpenAIUsage(u Usage) *OpenAIUsage {
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	out := &OpenAIUsage{PromptTokens: prompt, CompletionTokens: u.OutputTokens, TotalTokens: prompt + u.OutputTokens}
	out.PromptTokensDetails.CachedTokens = u.CacheReadInputTokens
	return out
}

// FinishReason maps an Anthropic stop reason to OpenAI's finish_reason: end_turn
// and stop_sequence (OpenAI's stop) become "stop".
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "refusal":
		return "content_filter"
	case "tool_use":
		return "tool_calls"
	default:
		return "stop"
	}
}

// ChatCompletion is a non-streamed Chat Completions response.
type ChatCompletion struct {
	ID                string         `json:"id"`
	Object            string         `json:"object"`
	Created           int64          `json:"created"`
	Model             string         `json:"model"`
	Choices           []OpenAIChoice `json:"choices"`
	Usage             *OpenAIUsage   `json:"usage"`
	SystemFingerprint *string        `json:"system_fingerprint"`
}

// OpenAIChoice is the one choice of a completion.
type OpenAIChoice struct {
	Index        int           `json:"index"`
	Message      OpenAIMessage `json:"message"`
	FinishReason string        `json:"finish_reason"`
	Logprobs     any           `json:"logprobs" doc:"Always null: the gateway does not report log probabilities"`
}

// OpenAIMessage is the assistant message of a choice.
type OpenAIMessage struct {
	Role    string  `json:"role"`
	Content string  `json:"content"`
	Refusal *string `json:"refusal"`
}

// NewChatCompletion builds the response to a finished turn.
func NewChatCompletion(id string, created int64, r Result) ChatCompletion {
	return ChatCompletion{
		ID: id, Object: "chat.completion", Created: created, Model: r.Model,
		Choices: []OpenAIChoice{{Message: OpenAIMessage{Role: RoleAssistant, Content: r.Text}, FinishReason: FinishReason(r.StopReason)}},
		Usage:   NewOpenAIUsage(r.Usage),
	}
}

// ChatCompletionChunk is one streamed Chat Completions event. It never carries an
// "error" key: the OpenAI SDKs treat any such key as a stream error.
type ChatCompletionChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *OpenAIUsage  `json:"usage,omitempty"`
	SystemFingerprint *string       `json:"system_fingerprint"`
}

// ChunkChoice is the delta of a chunk.
type ChunkChoice struct {
	Index        int        `json:"index"`
	Delta        ChunkDelta `json:"delta"`
	FinishReason *string    `json:"finish_reason"`
	Logprobs     any        `json:"logprobs" doc:"Always null: the gateway does not report log probabilities"`
}

// ChunkDelta is the new text (and, first, the role) of a chunk.
type ChunkDelta struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content,omitempty"`
}

// ChunkStream builds the chunks of one streamed completion.
type ChunkStream struct {
	ID      string
	Created int64
	Model   string
}

func (c ChunkStream) chunk(choices []ChunkChoice) ChatCompletionChunk {
	return ChatCompletionChunk{ID: c.ID, Object: "chat.completion.chunk", Created: c.Created, Model: c.Model, Choices: choices}
}

// Role is the first chunk: the assistant role with empty content.
func (c ChunkStream) Role() ChatCompletionChunk {
	return c.chunk([]ChunkChoice{{Delta: ChunkDelta{Role: RoleAssistant}}})
}

// Text is a chunk carrying a piece of the reply.
func (c ChunkStream) Text(s string) ChatCompletionChunk {
	return c.chunk([]ChunkChoice{{Delta: ChunkDelta{Content: s}}})
}

// Finish is the chunk with the finish reason.
func (c ChunkStream) Finish(stop string) ChatCompletionChunk {
	fr := FinishReason(stop)
	return c.chunk([]ChunkChoice{{FinishReason: &fr}})
}

// Usage is the last chunk when stream_options.include_usage is set: no choices.
func (c ChunkStream) Usage(u Usage) ChatCompletionChunk {
	ch := c.chunk([]ChunkChoice{})
	ch.Usage = NewOpenAIUsage(u)
	return ch
}
