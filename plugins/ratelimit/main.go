// Command ratelimit is the bundled rate-limit policy. It denies a request when the
// key has used up its requests per minute, requests per day, tokens per day, cost
// per day or concurrent requests, and says when a retry may succeed. It has no
// configuration: the limits come from the key (zero means unlimited).
package main

import (
	"strconv"

	"github.com/ccgateway/ccgateway/plugins/sdk"
	"github.com/ccgateway/ccgateway/policies/abi"
)

func init() {
	sdk.Register(decide)
	sdk.Needs(abi.FieldKeyUsageLimit | abi.FieldKeyMaxConcurrentRequests | abi.FieldKeyCostUSDPerDay |
		abi.FieldCounters | abi.FieldNowMS)
}

func main() {}

const (
	msPerMinute = 60_000
	msPerDay    = 86_400_000
)

// decide checks the limits, cheapest to recover from first.
func decide(in *abi.Input) abi.Output {
	k, c := &in.Key, &in.Counters
	if k.MaxConcurrentRequests > 0 && c.InFlight >= k.MaxConcurrentRequests {
		return deny(abi.CodeConcurrencyLimit, "concurrent requests", c.InFlight, k.MaxConcurrentRequests, 1)
	}
	if l := k.UsageLimit.RequestsPerMinute; l > 0 && c.RequestsLastMinute >= l {
		return deny(abi.CodeRateLimitMinute, "requests per minute", c.RequestsLastMinute, l, untilNext(in.NowMS, msPerMinute))
	}
	if l := k.UsageLimit.RequestsPerDay; l > 0 && c.RequestsToday >= l {
		return deny(abi.CodeRateLimitDay, "requests per day", c.RequestsToday, l, untilNext(in.NowMS, msPerDay))
	}
	if l := k.UsageLimit.TokensPerDay; l > 0 && c.TokensToday >= l {
		return deny(abi.CodeTokenLimitDay, "tokens per day", c.TokensToday, l, untilNext(in.NowMS, msPerDay))
	}
	if l := k.CostUSDPerDay; l > 0 && c.CostToday >= l {
		return abi.Output{Code: abi.CodeCostLimitDay,
			Reason:      "cost per day limit reached: $" + strconv.FormatFloat(c.CostToday, 'f', 2, 64) + " of $" + strconv.FormatFloat(l, 'f', 2, 64),
			RetryAfterS: untilNext(in.NowMS, msPerDay)}
	}
	return abi.Allowed()
}

func deny(code, what string, used, limit, retry int64) abi.Output {
	return abi.Output{
		Code:        code,
		Reason:      what + " limit reached: " + strconv.FormatInt(used, 10) + " of " + strconv.FormatInt(limit, 10),
		RetryAfterS: retry,
	}
}

// untilNext returns the whole seconds from nowMS to the next multiple of periodMS
// (the next UTC minute or midnight), at least 1.
func untilNext(nowMS, periodMS int64) int64 {
	rest := periodMS - nowMS%periodMS
	s := (rest + 999) / 1000
	if s < 1 {
		s = 1
	}
	return s
}
