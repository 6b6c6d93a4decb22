package policies

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// BenchmarkBundledChain measures one decision of the default chain (ratelimit and
// permissions) and reports its p50 and p99 latencies. Target: p50 ≤ 50µs, p99 ≤ 500µs.
func BenchmarkBundledChain(b *testing.B) {
	e := newTestEngine(b, Config{})
	chain, err := DefaultChain(context.Background(), e)
	if err != nil {
		b.Fatal(err)
	}
	defer chain.Close()
	in := abi.Input{
		Request: abi.Request{Endpoint: "/v1/messages", Model: "sonnet", MaxTokens: 1024, Stream: true, Tools: []string{"Read"},
			ClientIP: "10.1.2.3", ConversationID: "3f1c2b9e-8d4a-4c1e-9a53-0d2b7f6e1a44", MessageBytes: 2048},
		Key: abi.Key{ID: "key-1", Status: "active",
			UsageLimit:            abi.UsageLimit{RequestsPerMinute: 60, RequestsPerDay: 10000, TokensPerDay: 1_000_000},
			Permissions:           abi.Permissions{Models: []string{"claude-sonnet-4-5", "claude-haiku-4-5"}, MaxTokens: 8192, AllowStreaming: true},
			Metadata:              map[string]string{"user_id": "u-42", "project": "demo", "description": "benchmark key"},
			MaxConcurrentRequests: 4, CostUSDPerDay: 25, Tools: []string{"Read", "Grep"}},
		Counters: abi.Counters{RequestsLastMinute: 3, RequestsToday: 120, TokensToday: 40_000, CostToday: 1.5, InFlight: 1},
		NowMS:    noon,
	}
	ctx := context.Background()
	check := func(d Decision, err error) {
		if err != nil || !d.Allow {
			b.Fatalf("got %+v, %v", d, err)
		}
	}
	check(chain.Evaluate(ctx, &in)) // warm an instance of each policy

	b.Run("serial", func(b *testing.B) {
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			start := time.Now()
			d, err := chain.Evaluate(ctx, &in)
			lat = append(lat, time.Since(start))
			check(d, err)
		}
		reportPercentiles(b, lat)
	})
	b.Run("parallel", func(b *testing.B) {
		var (
			mu  sync.Mutex
			all []time.Duration
		)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			var lat []time.Duration
			for pb.Next() {
				start := time.Now()
				d, err := chain.Evaluate(ctx, &in)
				lat = append(lat, time.Since(start))
				check(d, err)
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
		reportPercentiles(b, all)
	})
}

func reportPercentiles(b *testing.B, lat []time.Duration) {
	if len(lat) == 0 {
		return
	}
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}
