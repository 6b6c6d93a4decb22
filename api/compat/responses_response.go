package compat

// Response statuses of the Responses API.
const (
	ResponseInProgress = "in_progress"
	ResponseCompleted  = "completed"
	ResponseIncomplete = "incomplete"
	ResponseFailed     = "failed"
)

// Response is a Responses API response object. The gateway fills what it knows;
// the fields a Responses client requires but the gateway never varies (tools,
// tool_choice, text format, truncation) carry their fixed values.
type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	Error              *ResponseError     `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       *string            `json:"instructions" nullable:"true"`
	MaxOutputTokens    *int               `json:"max_output_tokens" nullable:"true"`
	Model              string             `json:"model"`
	Output             []OutputMessage    `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id" nullable:"true"`
	Temperature        *float64           `json:"temperature" nullable:"true"`
	TopP               float64            `json:"top_p"`
	ToolChoice         string             `json:"tool_choice"`
	Tools              []struct{}         `json:"tools"`
	Text               ResponseText       `json:"text"`
	Truncation         string             `json:"truncation"`
	Usage              *ResponseUsage     `json:"usage"`
	Metadata           map[string]string  `json:"metadata"`
	Store              bool               `json:"store"`
	Background         bool               `json:"background"`
}

// ResponseError is why a response failed.
type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IncompleteDetails says why a response is incomplete.
type IncompleteDetails struct {
	Reason string `json:"reason"`
}

// ResponseText is the text configuration: always plain text here.
type ResponseText struct {
	Format struct {
		Type string `json:"type"`
	} `json:"format"`
}

// OutputMessage is the one output item of a gateway response: the assistant's message.
type OutputMessage struct {
	Type    string       `json:"type"`
	ID      string       `json:"id"`
	Status  string       `json:"status"`
	Role    string       `json:"role"`
	Content []OutputText `json:"content"`
}

// OutputText is the text part of an output message.
type OutputText struct {
	Type        string     `json:"type"`
	Text        string     `json:"text"`
	Annotations []struct{} `json:"annotations"`
	Logprobs    []struct{} `json:"logprobs"`
}

// ResponseUsage is the Responses API's token accounting: input tokens include
// cached ones, the cached part is in the details.
type ResponseUsage struct {
	InputTokens        int64 `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int64 `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int64 `json:"total_tokens"`
}

// NewResponseUsage converts a turn's usage.
func NewResponseUsage(u Usage) *ResponseUsage {
	in := u.InputTokens + u.CacheReadInputTokens + u.CacheCreationInputTokens
	out := &ResponseUsage{InputTokens: in, OutputTokens: u.OutputTokens, TotalTokens: in + u.OutputTokens}
	out.InputTokensDetails.CachedTokens = u.CacheReadInputTokens
	return out
}

// ResponseFrame is what a response object carries besides the turn's result: its
// ids, creation time and the request's echoed settings.
type ResponseFrame struct {
	ID        string // resp_...
	ItemID    string // msg_...
	CreatedAt int64
	Model     string
	Req       *ResponsesRequest
}

// base is the response object before any output.
func (f ResponseFrame) base(status string) Response {
	r := Response{
		ID: f.ID, Object: "response", CreatedAt: f.CreatedAt, Status: status, Model: f.Model,
		Output: []OutputMessage{}, TopP: 1, ToolChoice: "auto", Tools: []struct{}{}, Truncation: "disabled",
		Metadata: map[string]string{}, Store: true,
	}
	r.Text.Format.Type = "text"
	if q := f.Req; q != nil {
		r.Instructions, r.MaxOutputTokens, r.Temperature, r.Store = q.Instructions, q.MaxOutputTokens, q.Temperature, q.Store
		if q.PreviousResponseID != "" {
			id := q.PreviousResponseID
			r.PreviousResponseID = &id
		}
		if q.Metadata != nil {
			r.Metadata = q.Metadata
		}
	}
	return r
}

// InProgress is the response object of response.created and response.in_progress.
func (f ResponseFrame) InProgress() Response { return f.base(ResponseInProgress) }

// Finished is the response to a finished turn: completed, or incomplete when the
// reply hit max_output_tokens or was refused.
func (f ResponseFrame) Finished(res Result) Response {
	r := f.base(ResponseCompleted)
	switch res.StopReason {
	case "max_tokens", "model_context_window_exceeded":
		r.Status, r.IncompleteDetails = ResponseIncomplete, &IncompleteDetails{Reason: "max_output_tokens"}
	case "refusal":
		r.Status, r.IncompleteDetails = ResponseIncomplete, &IncompleteDetails{Reason: "content_filter"}
	}
	if res.Model != "" {
		r.Model = res.Model
	}
	r.Output = []OutputMessage{f.message(r.Status, res.Text)}
	r.Usage = NewResponseUsage(res.Usage)
	return r
}

// Failed is the response of a turn that failed after it started.
func (f ResponseFrame) Failed(code, message string) Response {
	r := f.base(ResponseFailed)
	r.Error = &ResponseError{Code: code, Message: message}
	return r
}

func (f ResponseFrame) message(status, text string) OutputMessage {
	return OutputMessage{Type: "message", ID: f.ItemID, Status: status, Role: RoleAssistant,
		Content: []OutputText{{Type: "output_text", Text: text, Annotations: []struct{}{}, Logprobs: []struct{}{}}}}
}
