package api

import (
	"context"
	"testing"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
)

// TestFailedTurnRecordsWhatItSpent: a turn that fails after the CLI used tokens
// (or whose storing failed) is recorded with its tokens and cost, whichever way
// the API layer sees the failure.
func TestFailedTurnRecordsWhatItSpent(t *testing.T) {
	failed := actors.Failed{
		Err:     &claudecli.Error{Class: claudecli.ClassInterrupted, Message: "turn aborted"},
		Usage:   actors.Usage{InputTokens: 10, OutputTokens: 20, CacheReadInputTokens: 3, CacheCreationInputTokens: 4},
		CostUSD: 0.05,
	}
	tests := []struct {
		name   string
		finish func(r *usageRecord)
	}{
		{"stream", func(r *usageRecord) { r.observe(failed) }},
		{"json", func(r *usageRecord) { _ = r.failed(failed) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := &memUsage{}
			s := &server{Deps: Deps{Config: config.Defaults(), Usage: mem}}
			r := s.startUsage(context.Background(), "m", "conv-1")
			tt.finish(r)
			evs := mem.all()
			if len(evs) != 1 {
				t.Fatalf("%d usage events", len(evs))
			}
			ev := evs[0]
			if ev.RequestTokens != 17 || ev.ResponseTokens != 20 || ev.TotalTokens != 37 || ev.CostUSD != 0.05 ||
				ev.CacheReadInputTokens != 3 || ev.CacheCreationInputTokens != 4 {
				t.Errorf("usage not recorded: %+v", ev)
			}
			if ev.StatusCode < 400 || ev.Error == "" || ev.ConversationID != "conv-1" {
				t.Errorf("outcome: status %d error %q conversation %q", ev.StatusCode, ev.Error, ev.ConversationID)
			}
		})
	}
}
