package compat

// OpenAIErrorBody is OpenAI's error document: {"error":{"message","type","param","code"}}.
type OpenAIErrorBody struct {
	Error OpenAIErrorDetail `json:"error"`
}

// OpenAIErrorDetail is the inner object of an OpenAI error.
type OpenAIErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    string  `json:"code"`
}

// OpenAIErrorType names OpenAI's error type for an HTTP status.
func OpenAIErrorType(status int) string {
	switch {
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 404:
		return "not_found_error"
	case status == 429:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// NewOpenAIError builds an OpenAI error document.
func NewOpenAIError(status int, code, param, message string) OpenAIErrorBody {
	d := OpenAIErrorDetail{Message: message, Type: OpenAIErrorType(status), Code: code}
	if param != "" {
		d.Param = &param
	}
	return OpenAIErrorBody{Error: d}
}

// EitherErrorBody documents the errors of an operation that answers in either
// dialect, chosen by the anthropic-version header (the model list and lookup): one
// schema both shapes fit, since the two have no property whose value tells them
// apart for a generator. OpenAI's has param and code; Anthropic's has type "error".
type EitherErrorBody struct {
	Type  string            `json:"type,omitempty" enum:"error" doc:"error, in Anthropic's shape only"`
	Error EitherErrorDetail `json:"error"`
}

// EitherErrorDetail is the inner object of an EitherErrorBody.
type EitherErrorDetail struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param,omitempty" nullable:"true" doc:"In OpenAI's shape only (null)"`
	Code    string  `json:"code,omitempty" doc:"In OpenAI's shape only"`
}

// AnthropicErrorBody is Anthropic's error document: {"type":"error","error":{"type","message"}}.
type AnthropicErrorBody struct {
	Type  string               `json:"type"`
	Error AnthropicErrorDetail `json:"error"`
}

// AnthropicErrorDetail is the inner object of an Anthropic error.
type AnthropicErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// AnthropicErrorType names Anthropic's error type for an HTTP status.
func AnthropicErrorType(status int) string {
	switch {
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 404:
		return "not_found_error"
	case status == 413:
		return "request_too_large"
	case status == 429:
		return "rate_limit_error"
	case status == 503 || status == 529:
		return "overloaded_error"
	case status == 504:
		return "timeout_error"
	case status >= 500:
		return "api_error"
	default:
		return "invalid_request_error"
	}
}

// NewAnthropicError builds an Anthropic error document.
func NewAnthropicError(status int, message string) AnthropicErrorBody {
	return AnthropicErrorBody{Type: "error", Error: AnthropicErrorDetail{Type: AnthropicErrorType(status), Message: message}}
}
