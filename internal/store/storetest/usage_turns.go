package storetest

import (
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// testUsageTurns checks the Admitted flag, from which admission rebuilds a key's
// counters: every request admission let through counts whatever its status (a
// turn that failed upstream, was deleted mid-turn or canceled), and no refusal
// does, even one with a model and a 5xx status.
func testUsageTurns(t *testing.T, open Open) {
	s := open(t)
	events := []*store.UsageEvent{
		{APIKeyID: "k", Model: "sonnet", StatusCode: 200, TotalTokens: 10, CostUSD: 0.5, Admitted: true},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 502, Error: "cli_crashed", Admitted: true},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 404, Error: "not_found", TotalTokens: 3, Admitted: true},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 429, Error: "upstream_rate_limited", Admitted: true},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 499, Error: "canceled", TotalTokens: 7, Admitted: true},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 503, Error: "policy_error"},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 503, Error: "counters_unavailable"},
		{APIKeyID: "k", Model: "sonnet", StatusCode: 429, Error: "rate_limit_minute"},
		{APIKeyID: "k", StatusCode: 200, Endpoint: "/api/models"},
		{APIKeyID: "other", Model: "sonnet", StatusCode: 200, TotalTokens: 99, Admitted: true},
	}
	for i, e := range events {
		e.Timestamp = at(time.Duration(i) * time.Second)
	}
	noErr(t, s.InsertUsageEvents(t.Context(), events))
	got, err := s.SumUsage(t.Context(), store.UsageFilter{APIKeyID: "k", Admitted: true})
	noErr(t, err)
	sameTotals(t, "admitted", got, store.UsageTotals{Requests: 5, Errors: 4, TotalTokens: 20, CostUSD: 0.5})
	list, total, err := s.ListUsageEvents(t.Context(), store.UsageFilter{APIKeyID: "k", Admitted: true})
	noErr(t, err)
	equal(t, "listed", len(list), 5)
	equal(t, "total", total, 5)
	for _, e := range list {
		equal(t, "admitted read back", e.Admitted, true)
	}
}
