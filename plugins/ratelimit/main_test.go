package main

import (
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestDecide(t *testing.T) {
	const noon = 1_700_000_000_000 - 1_700_000_000_000%86_400_000 + 12*3_600_000 + 30_000 // 12:00:30 UTC
	key := abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 10, RequestsPerDay: 100, TokensPerDay: 1000},
		MaxConcurrentRequests: 2, CostUSDPerDay: 5}
	tests := []struct {
		name  string
		c     abi.Counters
		code  string
		retry int64
	}{
		{"under every limit", abi.Counters{RequestsLastMinute: 9, RequestsToday: 99, TokensToday: 999, CostToday: 4.99, InFlight: 1}, "", 0},
		{"minute", abi.Counters{RequestsLastMinute: 10}, abi.CodeRateLimitMinute, 30},
		{"day", abi.Counters{RequestsToday: 100}, abi.CodeRateLimitDay, 12*3600 - 30},
		{"tokens", abi.Counters{TokensToday: 1500}, abi.CodeTokenLimitDay, 12*3600 - 30},
		{"cost", abi.Counters{CostToday: 5}, abi.CodeCostLimitDay, 12*3600 - 30},
		{"concurrency", abi.Counters{InFlight: 2}, abi.CodeConcurrencyLimit, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decide(&abi.Input{Key: key, Counters: tt.c, NowMS: noon})
			if out.Allow != (tt.code == "") || out.Code != tt.code || out.RetryAfterS != tt.retry {
				t.Fatalf("got %+v, want code %q retry %d", out, tt.code, tt.retry)
			}
		})
	}
	if out := decide(&abi.Input{Counters: abi.Counters{RequestsToday: 1 << 40}}); !out.Allow {
		t.Fatalf("zero limits must mean unlimited, got %+v", out)
	}
}
