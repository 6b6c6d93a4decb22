package actors

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"

	"github.com/ccgateway/ccgateway/internal/claudecli"
)

// ErrInvalidRequest is wrapped by every *InvalidError: a turn or conversation
// setting that no transport may pass on (the API answers 400 invalid_request).
var ErrInvalidRequest = errors.New("actors: invalid request")

// InvalidError names the field of a request that Validate refused and why.
type InvalidError struct {
	Field  string // the request field as the native API names it: "max_tokens"
	Reason string
}

func (e *InvalidError) Error() string {
	return "actors: invalid request: " + e.Field + ": " + e.Reason
}

// Is makes errors.Is(err, ErrInvalidRequest) hold.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalidRequest }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Limits every transport shares (REST, SSE, WebSocket, the compatible dialects):
// Validate is the one check below all of them, so none can pass a value the CLI
// cannot take.
const (
	MaxOutputTokens = 128000 // the CLI's own ceiling for CLAUDE_CODE_MAX_OUTPUT_TOKENS
	// Metadata bounds: entries, and key and value sizes in bytes.
	MaxMetadataEntries    = 16
	MaxMetadataKeyBytes   = 64
	MaxMetadataValueBytes = 512
	MaxTitleBytes         = 800 // 200 characters of up to 4 bytes
	// MaxSystemPromptChars is the REST schema's limit (maxLength); the byte limit
	// is claudecli.MaxSystemPromptBytes.
	MaxSystemPromptChars = 65536
)

// Validate checks a turn's settings: max_tokens 0 (keep / default) ..
// MaxOutputTokens, temperature 0..1, the system prompt (claudecli limits: bytes,
// no NUL) and the stop sequences.
func (r *ChatRequest) Validate() error {
	if err := validateSettings(r.MaxTokens, r.Temperature, r.SystemPrompt); err != nil {
		return err
	}
	if err := claudecli.ValidateStopSequences(r.StopSequences); err != nil {
		return invalid("stop_sequences", "%s", strings.TrimPrefix(err.Error(), "claudecli: "))
	}
	return nil
}

// Validate checks a new conversation's settings, title and metadata.
func (c *ConversationSpec) Validate() error {
	if err := validateSettings(c.MaxTokens, c.Temperature, c.SystemPrompt); err != nil {
		return err
	}
	if len(c.Title) > MaxTitleBytes {
		return invalid("title", "title is %d bytes, over the %d-byte limit", len(c.Title), MaxTitleBytes)
	}
	return ValidateMetadata(c.Metadata)
}

// ValidateMetadata bounds a conversation's metadata: at most MaxMetadataEntries
// entries, keys of 1..MaxMetadataKeyBytes bytes and values of at most
// MaxMetadataValueBytes, none holding a NUL.
func ValidateMetadata(md map[string]string) error {
	if len(md) > MaxMetadataEntries {
		return invalid("metadata", "%d entries, at most %d allowed", len(md), MaxMetadataEntries)
	}
	for k, v := range md {
		switch {
		case k == "" || len(k) > MaxMetadataKeyBytes:
			return invalid("metadata", "keys must be 1..%d bytes", MaxMetadataKeyBytes)
		case len(v) > MaxMetadataValueBytes:
			return invalid("metadata", "the value of %q is over %d bytes", k, MaxMetadataValueBytes)
		case strings.IndexByte(k, 0) >= 0 || strings.IndexByte(v, 0) >= 0:
			return invalid("metadata", "keys and values must not contain NUL")
		}
	}
	return nil
}

func validateSettings(maxTokens int, temp *float64, system string) error {
	if maxTokens < 0 || maxTokens > MaxOutputTokens {
		return invalid("max_tokens", "max_tokens must be between 1 and %d", MaxOutputTokens)
	}
	if temp != nil && (math.IsNaN(*temp) || *temp < 0 || *temp > 1) {
		return invalid("temperature", "temperature must be between 0 and 1")
	}
	if n := utf8.RuneCountInString(system); n > MaxSystemPromptChars {
		return invalid("system_prompt", "system prompt is %d characters, over the %d-character limit", n, MaxSystemPromptChars)
	}
	if err := claudecli.ValidateSystemPrompt(system); err != nil {
		return invalid("system_prompt", "%s", err.Error())
	}
	return nil
}
