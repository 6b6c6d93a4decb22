package compat

import (
	"encoding/json"
	"strings"
)

// ResponsesRequest is an OpenAI Responses API call (POST /v1/responses) reduced to
// what the gateway honours. Request.Messages holds the input items (a string input
// is one user message), Request.System the instructions. PreviousResponseID, when
// set, names the stored response whose conversation this call continues.
type ResponsesRequest struct {
	Request
	PreviousResponseID string
	Instructions       *string // as sent, echoed in the response object
	MaxOutputTokens    *int
	Metadata           map[string]string
	// Store is false when the client asked that the response not be kept
	// (store: false): it then cannot be read back or continued.
	Store bool
}

// responsesBody is the part of a Responses request body the gateway reads. Fields
// it cannot honour are kept raw so that their presence can be refused.
type responsesBody struct {
	Model              string            `json:"model"`
	Input              json.RawMessage   `json:"input"`
	Instructions       *string           `json:"instructions"`
	PreviousResponseID string            `json:"previous_response_id"`
	MaxOutputTokens    *int              `json:"max_output_tokens"`
	Temperature        *float64          `json:"temperature"`
	TopP               *float64          `json:"top_p"`
	Stream             bool              `json:"stream"`
	Store              *bool             `json:"store"`
	Metadata           map[string]string `json:"metadata"`
	Tools              json.RawMessage   `json:"tools"`
	ToolChoice         json.RawMessage   `json:"tool_choice"`
	Reasoning          json.RawMessage   `json:"reasoning"`
	Text               *struct {
		Format *struct {
			Type string `json:"type"`
		} `json:"format"`
	} `json:"text"`
	Background   bool            `json:"background"`
	Conversation json.RawMessage `json:"conversation"`
	Prompt       json.RawMessage `json:"prompt"`
	TopLogprobs  json.RawMessage `json:"top_logprobs"`
	Include      []string        `json:"include"`
}

// responsesItem is one element of a list input: a message (type "message" or no
// type) or an item the gateway cannot take (function calls, reasoning, references).
type responsesItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// ParseResponses reads a Responses API request body. Unknown fields are ignored;
// features the CLI cannot honour (tools, files, images, reasoning options,
// background runs, structured output) are refused with a 400 naming the field.
func ParseResponses(body []byte) (*ResponsesRequest, *Error) {
	var in responsesBody
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if err := refuseResponses(&in); err != nil {
		return nil, err
	}
	r := &ResponsesRequest{
		Request:            Request{Model: in.Model, Temperature: in.Temperature, Stream: in.Stream},
		PreviousResponseID: in.PreviousResponseID,
		Instructions:       in.Instructions,
		MaxOutputTokens:    in.MaxOutputTokens,
		Metadata:           in.Metadata,
		Store:              in.Store == nil || *in.Store,
	}
	if t := r.Temperature; t != nil && *t > 1 {
		one := 1.0 // OpenAI's range is 0..2, Claude's 0..1, as for Chat Completions
		r.Temperature = &one
	}
	if in.MaxOutputTokens != nil {
		if *in.MaxOutputTokens < 1 {
			return nil, invalid("max_output_tokens", "max_output_tokens must be at least 1")
		}
		r.MaxTokens = *in.MaxOutputTokens
	}
	var system []string
	if in.Instructions != nil && strings.TrimSpace(*in.Instructions) != "" {
		system = append(system, NormalizeText(*in.Instructions))
	}
	msgs, sys, err := responsesInput(in.Input)
	if err != nil {
		return nil, err
	}
	r.System = strings.Join(append(system, sys...), "\n\n")
	r.Messages = Normalize(msgs)
	if err := checkCommon(&r.Request); err != nil {
		if err.Param == "messages" {
			err.Param = "input"
			err.Message = strings.Replace(err.Message, "messages must contain", "input must contain", 1)
		}
		if err.Param == "max_tokens" {
			err.Param = "max_output_tokens"
			err.Message = strings.Replace(err.Message, "max_tokens", "max_output_tokens", 1)
		}
		return nil, err
	}
	return r, nil
}

// refuseResponses rejects the parameters the CLI cannot honour.
func refuseResponses(in *responsesBody) *Error {
	switch {
	case isSet(in.Tools):
		return unsupported("tools", "tools (function calling, web search, file search, code interpreter) are not supported by this gateway")
	case isSet(in.ToolChoice) && string(in.ToolChoice) != `"none"` && string(in.ToolChoice) != `"auto"`:
		return unsupported("tool_choice", "tool_choice is not supported: this gateway does not offer tools")
	case isSet(in.Reasoning):
		return unsupported("reasoning", "reasoning options are not supported by this gateway")
	case in.Text != nil && in.Text.Format != nil && in.Text.Format.Type != "" && in.Text.Format.Type != "text":
		return unsupported("text.format", "text.format %q is not supported: only plain text replies", in.Text.Format.Type)
	case in.Background:
		return unsupported("background", "background responses are not supported: the reply comes in the call (or its stream)")
	case isSet(in.Conversation):
		return unsupported("conversation", "the conversation parameter is not supported: continue with previous_response_id")
	case isSet(in.Prompt):
		return unsupported("prompt", "stored prompt templates are not supported")
	case isSet(in.TopLogprobs):
		return unsupported("top_logprobs", "logprobs are not available through the Claude CLI")
	case in.TopP != nil && *in.TopP != 1:
		return unsupported("top_p", "top_p cannot be passed to the Claude CLI; use temperature")
	case len(in.Include) > 0:
		return unsupported("include", "include is not supported: there are no tool outputs, reasoning or logprobs to include")
	}
	return nil
}

// responsesInput maps input (a string or a list of message items) to messages;
// system and developer messages come back separately, in order.
func responsesInput(raw json.RawMessage) ([]Message, []string, *Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, invalid("input", "input is required: a string or a list of messages")
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []Message{{Role: RoleUser, Text: s}}, nil, nil
	}
	var items []responsesItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, nil, invalid("input", "input must be a string or a list of messages")
	}
	var msgs []Message
	var system []string
	for i, it := range items {
		if it.Type != "" && it.Type != "message" {
			return nil, nil, unsupported(param("input", i, "type"), "input items of type %q are not supported: only messages (this gateway offers no tools or reasoning items)", it.Type)
		}
		text, err := responsesContent(it.Content, i)
		if err != nil {
			return nil, nil, err
		}
		switch it.Role {
		case "system", "developer":
			system = append(system, NormalizeText(text))
		case RoleUser, RoleAssistant:
			msgs = append(msgs, Message{Role: it.Role, Text: text})
		default:
			return nil, nil, invalid(param("input", i, "role"), "unknown message role %q", it.Role)
		}
	}
	return msgs, system, nil
}

// responsesContent flattens a message's content (a string or text parts) to text.
func responsesContent(raw json.RawMessage, i int) (string, *Error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", invalid(param("input", i, "content"), "content must be a string or a list of content parts")
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		switch p.Type {
		case "input_text", "output_text", "text":
			texts = append(texts, p.Text)
		default:
			return "", &Error{Status: 400, Code: CodeUnsupportedMsg, Param: param("input", i, "content") + "[" + itoa(j) + "]",
				Message: "content parts of type " + quote(p.Type) + " are not supported: only text (images, files and audio cannot be passed to the Claude CLI by this gateway)"}
		}
	}
	return strings.Join(texts, "\n"), nil
}
