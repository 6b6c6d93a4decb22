package claudecli

import (
	"encoding/json"
	"strings"
	"time"
)

// message is the union of the stdout line shapes the driver reads; fields absent
// from a line stay zero.
type message struct {
	Type      string `json:"type"`
	Subtype   string `json:"subtype"`
	SessionID string `json:"session_id"`
	Model     string `json:"model"` // system/init

	// system/api_retry
	Attempt      int    `json:"attempt"`
	MaxRetries   int    `json:"max_retries"`
	RetryDelayMS int    `json:"retry_delay_ms"`
	ErrorStatus  int    `json:"error_status"`
	Error        string `json:"error"` // api_retry and the synthetic assistant line

	// stream_event
	Event *struct {
		Type  string `json:"type"`
		Delta struct {
			Type         string  `json:"type"`
			Text         string  `json:"text"`
			StopSequence *string `json:"stop_sequence"` // message_delta
		} `json:"delta"`
	} `json:"event"`

	// assistant
	Message *struct {
		Model        string  `json:"model"`
		StopSequence *string `json:"stop_sequence"`
		Content      []struct {
			Type     string `json:"type"`
			Text     string `json:"text"`
			Thinking string `json:"thinking"`
		} `json:"content"`
	} `json:"message"`
	APIErrorStatus int    `json:"api_error_status"`
	APIErrorType   string `json:"api_error_type"`

	// result
	IsError        bool    `json:"is_error"`
	Result         string  `json:"result"`
	StopReason     string  `json:"stop_reason"`
	TerminalReason string  `json:"terminal_reason"`
	TotalCostUSD   float64 `json:"total_cost_usd"`
	DurationMS     int     `json:"duration_ms"`
	NumTurns       int     `json:"num_turns"`
	Usage          struct {
		InputTokens              int `json:"input_tokens"`
		OutputTokens             int `json:"output_tokens"`
		CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
		CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	} `json:"usage"`
	// SinceLast is the per-model accounting since the previous result line: the
	// one turn. total_cost_usd is cumulative over the process's life, and usage
	// is all zero on an interrupted turn (measured on 2.1.332).
	SinceLast map[string]modelUsage `json:"model_usage_since_last_result"`

	// control_response
	Response *struct {
		Subtype   string `json:"subtype"`
		RequestID string `json:"request_id"`
		Error     string `json:"error"`
	} `json:"response"`
}

// modelUsage is one model's entry of a result line's model_usage_since_last_result.
type modelUsage struct {
	InputTokens              int     `json:"inputTokens"`
	OutputTokens             int     `json:"outputTokens"`
	CacheReadInputTokens     int     `json:"cacheReadInputTokens"`
	CacheCreationInputTokens int     `json:"cacheCreationInputTokens"`
	CostUSD                  float64 `json:"costUSD"`
}

// decodeLine parses one stdout line. ok is false for lines that are not JSON
// objects (the CLI may print stray text); such lines are ignored.
func decodeLine(line []byte) (m message, ok bool) {
	if len(line) == 0 || line[0] != '{' {
		return m, false
	}
	if err := json.Unmarshal(line, &m); err != nil || m.Type == "" {
		return m, false
	}
	return m, true
}

// synthetic reports whether an assistant line is the CLI's stand-in for a failed
// API call rather than a model answer.
func (m *message) synthetic() bool {
	return m.Type == "assistant" && (m.Error != "" || m.APIErrorStatus != 0 ||
		(m.Message != nil && m.Message.Model == "<synthetic>"))
}

// events converts a non-terminal line to the events it carries.
func (m *message) events() []Event {
	switch {
	case m.Type == "system" && m.Subtype == "init":
		return []Event{Init{SessionID: m.SessionID, Model: m.Model}}
	case m.Type == "system" && m.Subtype == "api_retry":
		return []Event{APIRetry{Attempt: m.Attempt, MaxRetries: m.MaxRetries,
			RetryDelay: time.Duration(m.RetryDelayMS) * time.Millisecond, ErrorStatus: m.ErrorStatus}}
	case m.Type == "stream_event" && m.Event != nil:
		if m.Event.Type == "content_block_delta" && m.Event.Delta.Type == "text_delta" {
			return []Event{TextDelta{Text: m.Event.Delta.Text}}
		}
	case m.Type == "assistant" && m.Message != nil && !m.synthetic():
		var out []Event
		for _, c := range m.Message.Content {
			text := c.Text
			if c.Type == "thinking" {
				text = c.Thinking
			}
			out = append(out, Block{Type: c.Type, Text: text})
		}
		return out
	}
	return nil
}

// stopSequence reports the stop sequence a line names: the message_delta stream
// event that ends an API response, or an assistant line (after a fallback to a
// non-streaming request the only place it appears). ok is false for other lines.
func (m *message) stopSequence() (seq string, ok bool) {
	switch {
	case m.Type == "stream_event" && m.Event != nil && m.Event.Type == "message_delta":
		if m.Event.Delta.StopSequence != nil {
			seq = *m.Event.Delta.StopSequence
		}
		return seq, true
	case m.Type == "assistant" && m.Message != nil && m.Message.StopSequence != nil:
		return *m.Message.StopSequence, true
	}
	return "", false
}

// resultEvent converts a successful result line; prevTotal is the process's
// cumulative cost before this turn, stopSeq the last stop sequence the turn's
// lines named. The result line itself carries stop_reason but no stop_sequence.
func (m *message) resultEvent(prevTotal float64, stopSeq string) Result {
	u, cost := m.turnUsage(prevTotal)
	if m.StopReason != "stop_sequence" {
		stopSeq = ""
	}
	return Result{
		Text: m.Result, StopReason: m.StopReason, StopSequence: stopSeq, TerminalReason: m.TerminalReason,
		SessionID: m.SessionID, CostUSD: cost, DurationMS: m.DurationMS, NumTurns: m.NumTurns,
		Usage: u,
	}
}

// turnUsage returns the tokens and cost of the turn a result line ends. Tokens
// come from usage, or, when it is all zero (an interrupted turn), from the sum of
// model_usage_since_last_result. The cost is the sum of that map's costUSD, or
// else total_cost_usd minus prevTotal: total_cost_usd counts every turn since the
// process started.
func (m *message) turnUsage(prevTotal float64) (Usage, float64) {
	u := Usage{
		InputTokens: m.Usage.InputTokens, OutputTokens: m.Usage.OutputTokens,
		CacheReadInputTokens:     m.Usage.CacheReadInputTokens,
		CacheCreationInputTokens: m.Usage.CacheCreationInputTokens,
	}
	var since Usage
	var cost float64
	for _, mu := range m.SinceLast {
		since.InputTokens += mu.InputTokens
		since.OutputTokens += mu.OutputTokens
		since.CacheReadInputTokens += mu.CacheReadInputTokens
		since.CacheCreationInputTokens += mu.CacheCreationInputTokens
		cost += mu.CostUSD
	}
	if u == (Usage{}) {
		u = since
	}
	if m.SinceLast == nil {
		cost = m.TotalCostUSD
		if m.TotalCostUSD >= prevTotal {
			cost = m.TotalCostUSD - prevTotal
		}
	}
	return u, cost
}

// failed reports whether a result line ends the turn in error. The subtype says
// "success" even for API errors: is_error and terminal_reason decide.
func (m *message) failed() bool {
	return m.IsError || m.APIErrorStatus != 0 || (m.Subtype != "" && m.Subtype != "success") ||
		(m.TerminalReason != "" && m.TerminalReason != "completed")
}

// userLine encodes a user turn. client_composed makes the CLI take the text
// verbatim: no slash commands, no @file expansion.
func userLine(text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":               "user",
		"message":            map[string]string{"role": "user", "content": text},
		"parent_tool_use_id": nil,
		"client_composed":    true,
	})
	return append(b, '\n')
}

// controlLine encodes a control request such as {"subtype":"interrupt"}.
func controlLine(requestID, subtype string) []byte {
	b, _ := json.Marshal(map[string]any{
		"type":       "control_request",
		"request_id": requestID,
		"request":    map[string]string{"subtype": subtype},
	})
	return append(b, '\n')
}

// notLoggedIn reports whether a CLI message says that no credentials were found.
func notLoggedIn(text string) bool {
	return strings.Contains(text, "Not logged in")
}
