package compat

import (
	"encoding/json"
	"strings"
)

// anthropicRequest is the part of a Messages body the gateway reads.
type anthropicRequest struct {
	Model         string             `json:"model"`
	Messages      []anthropicMessage `json:"messages"`
	System        json.RawMessage    `json:"system"`
	MaxTokens     *int               `json:"max_tokens"`
	Temperature   *float64           `json:"temperature"`
	Stream        bool               `json:"stream"`
	StopSequences json.RawMessage    `json:"stop_sequences"`
	TopP          json.RawMessage    `json:"top_p"`
	TopK          json.RawMessage    `json:"top_k"`
	Tools         json.RawMessage    `json:"tools"`
	ToolChoice    json.RawMessage    `json:"tool_choice"`
	Thinking      *struct {
		Type string `json:"type"`
	} `json:"thinking"`
	MCPServers json.RawMessage `json:"mcp_servers"`
	Container  json.RawMessage `json:"container"`
}

type anthropicMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ParseAnthropic reads a Messages request body. Unknown fields are ignored;
// features the CLI cannot honour are refused with a 400 naming the field.
func ParseAnthropic(body []byte) (*Request, *Error) {
	var in anthropicRequest
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	switch {
	case isSet(in.Tools):
		return nil, unsupported("tools", "tools are not supported by this gateway")
	case isSet(in.ToolChoice):
		return nil, unsupported("tool_choice", "tool_choice is not supported: this gateway does not offer tools")
	case isSet(in.TopP):
		return nil, unsupported("top_p", "top_p cannot be passed to the Claude CLI; use temperature")
	case isSet(in.TopK):
		return nil, unsupported("top_k", "top_k cannot be passed to the Claude CLI; use temperature")
	case in.Thinking != nil && in.Thinking.Type != "" && in.Thinking.Type != "disabled":
		return nil, unsupported("thinking", "extended thinking is not supported by this gateway")
	case isSet(in.MCPServers):
		return nil, unsupported("mcp_servers", "MCP servers are not supported by this gateway")
	case isSet(in.Container):
		return nil, unsupported("container", "containers are not supported by this gateway")
	}
	if in.Temperature != nil && *in.Temperature > 1 {
		return nil, invalid("temperature", "temperature must be between 0 and 1")
	}
	maxTokens := 0 // omitted: the key's cap, else the CLI's default
	if in.MaxTokens != nil {
		if maxTokens = *in.MaxTokens; maxTokens < 1 {
			// 0 must not mean "the CLI's default", which a key's cap would not see.
			return nil, invalid("max_tokens", "max_tokens must be at least 1")
		}
	}
	system, err := anthropicText(in.System, "system")
	if err != nil {
		return nil, err
	}
	stop, err := parseStop(in.StopSequences, "stop_sequences")
	if err != nil {
		return nil, err
	}
	r := &Request{Model: in.Model, System: NormalizeText(system), MaxTokens: maxTokens, Temperature: in.Temperature,
		StopSequences: stop, Stream: in.Stream}
	msgs := make([]Message, 0, len(in.Messages))
	for i, m := range in.Messages {
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return nil, invalid(param("messages", i, "role"), "message role must be user or assistant, not %q", m.Role)
		}
		text, err := anthropicText(m.Content, param("messages", i, "content"))
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, Message{Role: m.Role, Text: text})
	}
	r.Messages = Normalize(msgs)
	if err := checkCommon(r); err != nil {
		return nil, err
	}
	return r, nil
}

// anthropicText flattens content (a string or content blocks) to text. Only text
// blocks are accepted; cache_control and citations settings on them are ignored.
func anthropicText(raw json.RawMessage, field string) (string, *Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var blocks []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "", invalid(field, "%s must be a string or an array of content blocks", field)
	}
	texts := make([]string, 0, len(blocks))
	for j, b := range blocks {
		if b.Type != "text" {
			return "", &Error{Status: 400, Code: CodeUnsupportedMsg, Param: field + "[" + itoa(j) + "]",
				Message: "content blocks of type " + quote(b.Type) + " are not supported: only text (images, documents and tool blocks cannot be passed to the Claude CLI by this gateway)"}
		}
		texts = append(texts, b.Text)
	}
	return strings.Join(texts, "\n"), nil
}
