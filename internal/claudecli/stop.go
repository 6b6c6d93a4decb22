package claudecli

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits on stop sequences. The Anthropic API documents no count limit and OpenAI
// allows 4; the gateway caps both so that a spawn signature stays small and an
// oversized list fails here, with the field named, rather than as an API error
// after a spawn.
const (
	MaxStopSequences      = 8
	MaxStopSequenceLength = 256 // characters
)

// ErrStopSequence is the error every invalid stop sequence wraps.
var ErrStopSequence = errors.New("invalid stop sequence")

// ValidateStopSequences checks a stop sequence list: at most MaxStopSequences,
// each valid under ValidateStopSequence.
func ValidateStopSequences(seqs []string) error {
	if len(seqs) > MaxStopSequences {
		return fmt.Errorf("%w: %d stop sequences, at most %d are allowed", ErrStopSequence, len(seqs), MaxStopSequences)
	}
	for i, s := range seqs {
		if err := ValidateStopSequence(s); err != nil {
			return fmt.Errorf("stop sequence %d: %w", i, err)
		}
	}
	return nil
}

// ValidateStopSequence checks one stop sequence: valid UTF-8, at most
// MaxStopSequenceLength characters, and not empty or whitespace only (the
// Anthropic API refuses a sequence without a non-whitespace character).
func ValidateStopSequence(s string) error {
	switch {
	case !utf8.ValidString(s):
		return fmt.Errorf("%w: not valid UTF-8", ErrStopSequence)
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("%w: must contain a non-whitespace character", ErrStopSequence)
	case utf8.RuneCountInString(s) > MaxStopSequenceLength:
		return fmt.Errorf("%w: longer than %d characters", ErrStopSequence, MaxStopSequenceLength)
	}
	return nil
}

// extraBody returns the CLAUDE_CODE_EXTRA_BODY object of spec (nil when it has
// nothing to add): the CLI merges it into every Messages API request body.
func extraBody(spec Spec) map[string]any {
	body := map[string]any{}
	if spec.Temperature != nil {
		body["temperature"] = *spec.Temperature
		// The API accepts a temperature only without thinking. MAX_THINKING_TOKENS=0
		// disables it on models with a thinking budget, but not on those the CLI
		// gives adaptive thinking by default (measured on 2.1.332: the default model
		// and the opus/sonnet aliases still sent {"type":"adaptive"}); the extra body
		// overrides the CLI's own field on every model.
		body["thinking"] = map[string]any{"type": "disabled"}
	}
	if len(spec.StopSequences) > 0 {
		body["stop_sequences"] = spec.StopSequences
	}
	if len(body) == 0 {
		return nil
	}
	return body
}
