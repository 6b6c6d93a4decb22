package compat

import (
	"encoding/json"
	"strings"
)

// openAIRequest is the part of a Chat Completions body the gateway reads. Fields it
// cannot honour are kept raw so that their mere presence can be refused.
type openAIRequest struct {
	Model               string          `json:"model"`
	Messages            []openAIMessage `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Stop             json.RawMessage `json:"stop"`
	Tools            json.RawMessage `json:"tools"`
	Functions        json.RawMessage `json:"functions"`
	ToolChoice       json.RawMessage `json:"tool_choice"`
	FunctionCall     json.RawMessage `json:"function_call"`
	Logprobs         json.RawMessage `json:"logprobs"`
	TopLogprobs      json.RawMessage `json:"top_logprobs"`
	LogitBias        json.RawMessage `json:"logit_bias"`
	PresencePenalty  json.RawMessage `json:"presence_penalty"`
	FrequencyPenalty json.RawMessage `json:"frequency_penalty"`
	ResponseFormat   *struct {
		Type string `json:"type"`
	} `json:"response_format"`
	Audio           json.RawMessage `json:"audio"`
	Modalities      []string        `json:"modalities"`
	Prediction      json.RawMessage `json:"prediction"`
	ReasoningEffort string          `json:"reasoning_effort"`
	WebSearch       json.RawMessage `json:"web_search_options"`
}

type openAIMessage struct {
	Role         string          `json:"role"`
	Content      json.RawMessage `json:"content"`
	ToolCalls    json.RawMessage `json:"tool_calls"`
	FunctionCall json.RawMessage `json:"function_call"`
}

// ParseOpenAI reads a Chat Completions request body. Unknown fields are ignored;
// features the CLI cannot honour are refused with a 400 naming the field.
func ParseOpenAI(body []byte) (*Request, *Error) {
	var in openAIRequest
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if err := refuseOpenAI(&in); err != nil {
		return nil, err
	}
	r := &Request{Model: in.Model, Temperature: in.Temperature, Stream: in.Stream}
	stop, err := parseStop(in.Stop, "stop")
	if err != nil {
		return nil, err
	}
	r.StopSequences = stop
	if in.StreamOptions != nil {
		r.IncludeUsage = in.StreamOptions.IncludeUsage
	}
	if t := r.Temperature; t != nil && *t > 2 {
		return nil, invalid("temperature", "temperature must be between 0 and 2")
	}
	if t := r.Temperature; t != nil && *t > 1 {
		one := 1.0 // OpenAI's range is 0..2, Claude's 0..1: cap like Anthropic's own compatibility layer
		r.Temperature = &one
	}
	switch {
	case in.MaxCompletionTokens != nil:
		r.MaxTokens = *in.MaxCompletionTokens
		if r.MaxTokens < 1 {
			return nil, invalid("max_completion_tokens", "max_completion_tokens must be at least 1")
		}
	case in.MaxTokens != nil:
		r.MaxTokens = *in.MaxTokens
		if r.MaxTokens < 1 {
			return nil, invalid("max_tokens", "max_tokens must be at least 1")
		}
	}
	var system []string
	var msgs []Message
	for i, m := range in.Messages {
		text, err := openAIText(m, i)
		if err != nil {
			return nil, err
		}
		switch m.Role {
		case "system", "developer":
			system = append(system, NormalizeText(text))
		case RoleUser, RoleAssistant:
			msgs = append(msgs, Message{Role: m.Role, Text: text})
		case "tool", "function":
			return nil, unsupported(param("messages", i, "role"), "messages with role %q (tool results) are not supported: this gateway does not offer function calling", m.Role)
		default:
			return nil, invalid(param("messages", i, "role"), "unknown message role %q", m.Role)
		}
	}
	r.System = strings.Join(system, "\n\n")
	r.Messages = Normalize(msgs)
	if err := checkCommon(r); err != nil {
		return nil, err
	}
	return r, nil
}

// refuseOpenAI rejects the parameters the CLI cannot honour.
func refuseOpenAI(in *openAIRequest) *Error {
	switch {
	case isSet(in.Tools) || isSet(in.Functions):
		return unsupported("tools", "tools and function calling are not supported by this gateway")
	case isSet(in.ToolChoice) && string(in.ToolChoice) != `"none"` && string(in.ToolChoice) != `"auto"`:
		return unsupported("tool_choice", "tool_choice is not supported: this gateway does not offer function calling")
	case isSet(in.FunctionCall):
		return unsupported("function_call", "function_call is not supported: this gateway does not offer function calling")
	case in.N != nil && *in.N != 1:
		return unsupported("n", "n must be 1: the gateway produces one choice per request")
	case isSet(in.Logprobs) || isSet(in.TopLogprobs):
		return unsupported("logprobs", "logprobs are not available through the Claude CLI")
	case isSet(in.LogitBias):
		return unsupported("logit_bias", "logit_bias is not supported by Claude")
	case isSet(in.PresencePenalty):
		return unsupported("presence_penalty", "presence_penalty is not supported by Claude")
	case isSet(in.FrequencyPenalty):
		return unsupported("frequency_penalty", "frequency_penalty is not supported by Claude")
	case in.TopP != nil && *in.TopP != 1:
		return unsupported("top_p", "top_p cannot be passed to the Claude CLI; use temperature")
	case in.ResponseFormat != nil && in.ResponseFormat.Type != "" && in.ResponseFormat.Type != "text":
		return unsupported("response_format", "response_format %q is not supported: only text replies", in.ResponseFormat.Type)
	case isSet(in.Audio) || (len(in.Modalities) > 0 && !(len(in.Modalities) == 1 && in.Modalities[0] == "text")):
		return unsupported("modalities", "audio output is not supported: only text replies")
	case isSet(in.Prediction):
		return unsupported("prediction", "predicted outputs are not supported")
	case in.ReasoningEffort != "":
		return unsupported("reasoning_effort", "reasoning_effort is not supported by this gateway")
	case isSet(in.WebSearch):
		return unsupported("web_search_options", "web search is not supported by this gateway")
	}
	return nil
}

// openAIText flattens a message's content (a string or text parts) to text.
func openAIText(m openAIMessage, i int) (string, *Error) {
	if isSet(m.ToolCalls) || isSet(m.FunctionCall) {
		return "", unsupported(param("messages", i, "tool_calls"), "assistant tool calls are not supported: this gateway does not offer function calling")
	}
	if len(m.Content) == 0 || string(m.Content) == "null" {
		return "", nil
	}
	var s string
	if json.Unmarshal(m.Content, &s) == nil {
		return s, nil
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(m.Content, &parts); err != nil {
		return "", invalid(param("messages", i, "content"), "content must be a string or an array of content parts")
	}
	texts := make([]string, 0, len(parts))
	for j, p := range parts {
		if p.Type != "text" {
			return "", &Error{Status: 400, Code: CodeUnsupportedMsg, Param: param("messages", i, "content") + "[" + itoa(j) + "]",
				Message: "content parts of type " + quote(p.Type) + " are not supported: only text (images, audio and files cannot be passed to the Claude CLI by this gateway)"}
		}
		texts = append(texts, p.Text)
	}
	return strings.Join(texts, "\n"), nil
}
