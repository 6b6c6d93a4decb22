package storetest

import (
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testUsageTurns checks the Turns filter, which admission uses to rebuild a key's
// counters: chat turns that ran (2xx, 5xx) count; refusals (4xx) and operations
// without a model do not.
func testUsageTurns(t *testing.T, open Open) {
	s := open(t)
	events := []*store.UsageEvent{
		{APIKeyID: "k", Model: "sonnet", StatusCode: 200, TotalTokens: 10, CostUSD: 0.5},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 502, Error: "cli_crashed"},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 429, Error: "rate_limit_minute"},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 403, Error: "model_not_allowed"},
		{APIKeyID: "k", StatusCode: 200, Endpoint: "/api/models"},
		{APIKeyID: "other", Model: "sonnet", StatusCode: 200, TotalTokens: 99},
	}
	for i, e := range events {
		e.Timestamp = at(time.Duration(i) * time.Second)
	}
	noErr(t, s.InsertUsageEvents(t.Context(), events))
	got, err := s.SumUsage(t.Context(), store.UsageFilter{APIKeyID: "k", Turns: true})
	noErr(t, err)
	sameTotals(t, "turns", got, store.UsageTotals{Requests: 2, Errors: 1, TotalTokens: 10, CostUSD: 0.5})
	list, total, err := s.ListUsageEvents(t.Context(), store.UsageFilter{APIKeyID: "k", Turns: true})
	noErr(t, err)
	equal(t, "listed", len(list), 2)
	equal(t, "total", total, 2)
}
