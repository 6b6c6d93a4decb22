package actors

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// BenchmarkAdmit measures one admission end to end through the key's tenant grain
// with the bundled chain (ratelimit and permissions): the cluster request, the
// evaluation off the mailbox, counting, and the settle of the in-flight slot.
func BenchmarkAdmit(b *testing.B) {
	ctx := context.Background()
	e, err := policies.NewEngine(ctx, policies.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close(ctx)
	chain, err := policies.DefaultChain(ctx, e)
	if err != nil {
		b.Fatal(err)
	}
	reg := policies.NewRegistry(chain)
	defer reg.Close()
	s, st := benchSystem(b, func(c *Config) { c.Policies = reg })
	a := Admission{
		Key: abi.Key{ID: newKeyID(b, st), Status: "active",
			UsageLimit:            abi.UsageLimit{RequestsPerMinute: 1 << 40, RequestsPerDay: 1 << 40, TokensPerDay: 1 << 40},
			Permissions:           abi.Permissions{Models: []string{"claude-sonnet-4-5"}, MaxTokens: 8192, AllowStreaming: true},
			Metadata:              map[string]string{"user_id": "u-42"},
			MaxConcurrentRequests: 4, CostUSDPerDay: 25},
		Request: abi.Request{Endpoint: "/api/chat", Model: "claude-sonnet-4-5", MaxTokens: 1024, Stream: true, MessageBytes: 2048},
	}
	admit := func() {
		d, t, err := s.Admit(ctx, a)
		if err != nil || !d.Allow {
			b.Fatalf("admit: %+v %v", d.Denial, err)
		}
		t.Settle(Usage{InputTokens: 10, OutputTokens: 5}, 0.0001)
	}
	admit() // activates the grain and warms the instances
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		admit()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	at := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))].Nanoseconds()) }
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}
