package tenant

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// QuotaRemaining is what is left of each limit; null means unlimited.
type QuotaRemaining struct {
	RequestsPerMinute *int64   `json:"requests_per_minute" doc:"Requests left in the current minute"`
	RequestsPerDay    *int64   `json:"requests_per_day" doc:"Requests left today (UTC)"`
	TokensPerDay      *int64   `json:"tokens_per_day" doc:"Tokens left today (UTC)"`
	CostUSDPerDay     *float64 `json:"cost_usd_per_day" doc:"Spend left today (UTC), in USD"`
}

// OwnUsage is a key's own usage today and its remaining quota.
type OwnUsage struct {
	APIKeyID      string              `json:"api_key_id"`
	DayStart      time.Time           `json:"day_start" doc:"Start of the current UTC day, when daily quotas reset"`
	Today         api.UsageTotalsBody `json:"today"`
	ThisMinute    int64               `json:"requests_this_minute"`
	Limits        api.UsageLimitBody  `json:"limits"`
	CostUSDPerDay float64             `json:"cost_usd_per_day" doc:"The daily spend limit; 0 = unlimited"`
	Remaining     QuotaRemaining      `json:"remaining"`
}

type ownUsageOutput struct{ Body OwnUsage }

func registerTenantUsage(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "get-own-usage", Method: http.MethodGet, Path: "/api/usage",
		Summary: "This key's usage and remaining quota", Tags: []string{"usage"}, Security: api.KeySecurity,
		Description: "Usage of the calling key today (UTC) and what remains of its limits. Counts come from the request log, which is written in batches: the last second may be missing.",
		Errors:      []int{401, 403, 429},
	}, func(ctx context.Context, _ *struct{}) (*ownUsageOutput, error) {
		k := api.KeyFrom(ctx)
		now := time.Now().UTC()
		day := now.Truncate(24 * time.Hour)
		today, err := s.Store.SumUsage(ctx, store.UsageFilter{APIKeyID: k.ID, From: day})
		if err != nil {
			return nil, api.ToProblem(err)
		}
		minute, err := s.Store.SumUsage(ctx, store.UsageFilter{APIKeyID: k.ID, From: now.Truncate(time.Minute)})
		if err != nil {
			return nil, api.ToProblem(err)
		}
		lim := k.UsageLimit
		out := OwnUsage{
			APIKeyID: k.ID, DayStart: day, Today: api.TotalsBody(today), ThisMinute: minute.Requests,
			Limits: api.UsageLimitBody(lim), CostUSDPerDay: k.CostUSDPerDay,
			Remaining: QuotaRemaining{
				RequestsPerMinute: remaining(lim.RequestsPerMinute, minute.Requests),
				RequestsPerDay:    remaining(lim.RequestsPerDay, today.Requests),
				TokensPerDay:      remaining(lim.TokensPerDay, today.TotalTokens),
			},
		}
		if k.CostUSDPerDay > 0 {
			left := max(k.CostUSDPerDay-today.CostUSD, 0)
			out.Remaining.CostUSDPerDay = &left
		}
		return &ownUsageOutput{Body: out}, nil
	})
}

// remaining is limit-used, never negative; nil for no limit.
func remaining(limit, used int64) *int64 {
	if limit <= 0 {
		return nil
	}
	left := max(limit-used, 0)
	return &left
}
