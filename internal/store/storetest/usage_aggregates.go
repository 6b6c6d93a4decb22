package storetest

import (
	"math"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// sameTotals compares totals exactly except for cost, which databases sum in
// their own order.
func sameTotals(t testing.TB, what string, got, want store.UsageTotals) {
	t.Helper()
	if math.Abs(got.CostUSD-want.CostUSD) > 1e-9 {
		t.Fatalf("%s: cost %v, want %v", what, got.CostUSD, want.CostUSD)
	}
	got.CostUSD = want.CostUSD
	equal(t, what, got, want)
}

func testUsageAggregates(t *testing.T, open Open) {
	s := open(t)
	usageFixture(t, s)
	t.Run("sum", func(t *testing.T) { usageSums(t, s) })
	t.Run("series", func(t *testing.T) { usageSeries(t, s) })
	t.Run("empty store", func(t *testing.T) {
		e := open(t)
		sum, err := e.SumUsage(t.Context(), store.UsageFilter{})
		noErr(t, err)
		equal(t, "totals", sum, store.UsageTotals{})
		series, err := e.UsageSeries(t.Context(), store.UsageFilter{}, time.Minute)
		noErr(t, err)
		equal(t, "buckets", len(series), 0)
		byKey, err := e.SumUsageByKey(t.Context(), store.UsageFilter{})
		noErr(t, err)
		equal(t, "keys", len(byKey), 0)
	})
}

func usageSums(t *testing.T, s store.Store) {
	ctx := t.Context()
	k1 := store.UsageTotals{Requests: 6, Errors: 3, RequestTokens: 30, ResponseTokens: 300, TotalTokens: 330, CostUSD: 0.30}
	k2 := store.UsageTotals{Requests: 6, RequestTokens: 36, ResponseTokens: 360, TotalTokens: 396, CostUSD: 0.36}
	all := store.UsageTotals{Requests: 12, Errors: 3, RequestTokens: 66, ResponseTokens: 660, TotalTokens: 726, CostUSD: 0.66}
	tests := []struct {
		name string
		f    store.UsageFilter
		want store.UsageTotals
	}{
		{"all", store.UsageFilter{}, all},
		{"limit ignored", store.UsageFilter{Limit: 1, Offset: 5}, all},
		{"key", store.UsageFilter{APIKeyID: "k2"}, k2},
		{"errors", store.UsageFilter{ErrorsOnly: true}, store.UsageTotals{Requests: 3, Errors: 3, RequestTokens: 12, ResponseTokens: 120, TotalTokens: 132, CostUSD: 0.12}},
		{"range", store.UsageFilter{From: at(time.Minute), To: at(3 * time.Minute)}, store.UsageTotals{Requests: 2, RequestTokens: 3, ResponseTokens: 30, TotalTokens: 33, CostUSD: 0.03}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SumUsage(ctx, tc.f)
			noErr(t, err)
			sameTotals(t, "totals", got, tc.want)
		})
	}
	groups := []struct {
		name string
		sum  func(store.UsageFilter) (map[string]store.UsageTotals, error)
		f    store.UsageFilter
		want map[string]store.UsageTotals
	}{
		{"by key", func(f store.UsageFilter) (map[string]store.UsageTotals, error) { return s.SumUsageByKey(ctx, f) },
			store.UsageFilter{}, map[string]store.UsageTotals{"k1": k1, "k2": k2}},
		{"by model", func(f store.UsageFilter) (map[string]store.UsageTotals, error) { return s.SumUsageByModel(ctx, f) },
			store.UsageFilter{}, map[string]store.UsageTotals{
				"opus":   {Requests: 4, Errors: 1, RequestTokens: 18, ResponseTokens: 180, TotalTokens: 198, CostUSD: 0.18},
				"sonnet": {Requests: 8, Errors: 2, RequestTokens: 48, ResponseTokens: 480, TotalTokens: 528, CostUSD: 0.48},
			}},
		{"by model, filtered", func(f store.UsageFilter) (map[string]store.UsageTotals, error) { return s.SumUsageByModel(ctx, f) },
			store.UsageFilter{APIKeyID: "k2", Model: "opus"}, map[string]store.UsageTotals{
				"opus": {Requests: 2, RequestTokens: 12, ResponseTokens: 120, TotalTokens: 132, CostUSD: 0.12},
			}},
	}
	for _, tc := range groups {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.sum(tc.f)
			noErr(t, err)
			equal(t, "groups", len(got), len(tc.want))
			for k, want := range tc.want {
				sameTotals(t, k, got[k], want)
			}
		})
	}
}

func usageSeries(t *testing.T, s store.Store) {
	b := func(start time.Duration, req, errs, p50, p95 int64) store.UsageBucket {
		return store.UsageBucket{Start: at(start), Requests: req, Errors: errs, P50MS: p50, P95MS: p95}
	}
	tests := []struct {
		name   string
		f      store.UsageFilter
		bucket time.Duration
		want   []store.UsageBucket // tokens and cost are not compared
	}{
		{"aligned to from", store.UsageFilter{From: at(0), To: at(15 * time.Minute)}, 5 * time.Minute,
			[]store.UsageBucket{b(0, 5, 2, 300, 500), b(5*time.Minute, 5, 1, 800, 1000), b(10*time.Minute, 2, 0, 1100, 1200)}},
		{"trailing empty bucket up to to", store.UsageFilter{From: at(10 * time.Minute), To: at(20 * time.Minute)}, 5 * time.Minute,
			[]store.UsageBucket{b(10*time.Minute, 2, 0, 1100, 1200), b(15*time.Minute, 0, 0, 0, 0)}},
		{"gaps filled", store.UsageFilter{APIKeyID: "k1", From: at(0), To: at(6 * time.Minute)}, time.Minute,
			[]store.UsageBucket{b(0, 1, 1, 100, 100), b(time.Minute, 0, 0, 0, 0), b(2*time.Minute, 1, 0, 300, 300),
				b(3*time.Minute, 0, 0, 0, 0), b(4*time.Minute, 1, 1, 500, 500), b(5*time.Minute, 0, 0, 0, 0)}},
		{"epoch aligned without from", store.UsageFilter{}, time.Hour,
			[]store.UsageBucket{{Start: at(0).Truncate(time.Hour), Requests: 12, Errors: 3, P50MS: 600, P95MS: 1200}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.UsageSeries(t.Context(), tc.f, tc.bucket)
			noErr(t, err)
			for i := range got {
				isUTC(t, got[i].Start)
				got[i].RequestTokens, got[i].ResponseTokens, got[i].TotalTokens, got[i].CostUSD = 0, 0, 0, 0
			}
			equal(t, "buckets", got, tc.want)
		})
	}
	t.Run("tokens and cost", func(t *testing.T) {
		got, err := s.UsageSeries(t.Context(), store.UsageFilter{From: at(0), To: at(5 * time.Minute)}, 5*time.Minute)
		noErr(t, err)
		equal(t, "tokens", [3]int64{got[0].RequestTokens, got[0].ResponseTokens, got[0].TotalTokens}, [3]int64{10, 100, 110})
		if math.Abs(got[0].CostUSD-0.10) > 1e-9 {
			t.Fatalf("cost %v", got[0].CostUSD)
		}
	})
	errs := []struct {
		name   string
		f      store.UsageFilter
		bucket time.Duration
	}{
		{"zero bucket", store.UsageFilter{}, 0},
		{"too many buckets", store.UsageFilter{From: at(0), To: at(time.Hour)}, time.Millisecond},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := s.UsageSeries(t.Context(), tc.f, tc.bucket); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
