package compat

import (
	"encoding/json"
	"fmt"

	"github.com/ccgateway/ccgateway/actors"
)

// parseStop reads a stop field that is null, a string or an array of strings
// (OpenAI's stop; Anthropic's stop_sequences is always an array) and checks it
// with checkStopSequences. An empty string or array means none, as OpenAI treats
// them.
func parseStop(raw json.RawMessage, field string) ([]string, *Error) {
	if !isSet(raw) {
		return nil, nil
	}
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, invalid(field, "%s must be a string or an array of strings", field)
	}
	if err := checkStopSequences(list, field); err != nil {
		return nil, err
	}
	return list, nil
}

// checkStopSequences applies the CLI driver's limits, naming the field (and the
// index of a bad entry) in the error.
func checkStopSequences(seqs []string, field string) *Error {
	if len(seqs) > actors.MaxStopSequences {
		return invalid(field, "%s may hold at most %d stop sequences, not %d", field, actors.MaxStopSequences, len(seqs))
	}
	for i, s := range seqs {
		if err := actors.ValidateStopSequence(s); err != nil {
			return invalid(fmt.Sprintf("%s[%d]", field, i), "%s[%d]: %v", field, i, err)
		}
	}
	return nil
}
