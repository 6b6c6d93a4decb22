package admin

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// UsageBucketBody aggregates the requests of one time bucket.
type UsageBucketBody struct {
	Start          time.Time `json:"start" doc:"Bucket start (inclusive)"`
	Requests       int64     `json:"requests" example:"120"`
	Errors         int64     `json:"errors" doc:"Requests answered with status >= 400" example:"3"`
	RequestTokens  int64     `json:"request_tokens" example:"48000"`
	ResponseTokens int64     `json:"response_tokens" example:"9100"`
	TotalTokens    int64     `json:"total_tokens" example:"57100"`
	CostUSD        float64   `json:"cost_usd" example:"0.42"`
	P50MS          int64     `json:"p50_ms" doc:"Median response time" example:"1800"`
	P95MS          int64     `json:"p95_ms" doc:"95th percentile response time" example:"5200"`
}

// UsageSeries is a usage time series without gaps.
type UsageSeries struct {
	Granularity string            `json:"granularity" enum:"minute,hour,day"`
	From        time.Time         `json:"from"`
	To          time.Time         `json:"to"`
	Buckets     []UsageBucketBody `json:"buckets" nullable:"false"`
}

// KeyUsageTotals is one key's line in the summary.
type KeyUsageTotals struct {
	APIKeyID string `json:"api_key_id"`
	Name     string `json:"name" doc:"The key's name; empty when the key was deleted"`
	api.UsageTotalsBody
}

// ModelUsageTotals is one model's line in the summary.
type ModelUsageTotals struct {
	Model string `json:"model"`
	api.UsageTotalsBody
}

// UsageSummary sums usage over a period, per key and per model.
type UsageSummary struct {
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Totals  api.UsageTotalsBody `json:"totals"`
	ByKey   []KeyUsageTotals    `json:"by_key" nullable:"false" doc:"Highest request count first"`
	ByModel []ModelUsageTotals  `json:"by_model" nullable:"false" doc:"Highest request count first"`
}

// KeyUsage is one key's usage over a period.
type KeyUsage struct {
	APIKeyID string              `json:"api_key_id"`
	Totals   api.UsageTotalsBody `json:"totals"`
	ByModel  []ModelUsageTotals  `json:"by_model" nullable:"false"`
	Series   UsageSeries         `json:"series"`
	// Conversations counts the key's stored conversations now (not only the period's).
	Conversations int `json:"conversations" doc:"The key's stored conversations (all, not only the period's)"`
}

// seriesQuery selects a usage time series.
type seriesQuery struct {
	Granularity string
	From, To    time.Time
	Model       string
}

type usageSeriesInput struct {
	Granularity string    `query:"granularity" enum:"minute,hour,day" default:"hour" doc:"Bucket width"`
	From        time.Time `query:"from" doc:"Start (RFC 3339); default: 60 buckets before to"`
	To          time.Time `query:"to" doc:"End, exclusive (RFC 3339); default: now"`
	Model       string    `query:"model" maxLength:"200" doc:"Only this model"`
	APIKeyID    string    `query:"api_key_id" maxLength:"64" doc:"Only this key"`
}

func (in *usageSeriesInput) query() seriesQuery {
	return seriesQuery{Granularity: in.Granularity, From: in.From, To: in.To, Model: in.Model}
}

type usageSeriesOutput struct{ Body UsageSeries }

type usageSummaryInput struct {
	From time.Time `query:"from" doc:"Start (RFC 3339); default: 30 days before to"`
	To   time.Time `query:"to" doc:"End, exclusive (RFC 3339); default: now"`
}

type usageSummaryOutput struct{ Body UsageSummary }

type keyUsageInput struct {
	ID          string    `path:"id" format:"uuid" doc:"The key's id"`
	Granularity string    `query:"granularity" enum:"minute,hour,day" default:"hour" doc:"Bucket width"`
	From        time.Time `query:"from" doc:"Start (RFC 3339); default: 60 buckets before to"`
	To          time.Time `query:"to" doc:"End, exclusive (RFC 3339); default: now"`
	Model       string    `query:"model" maxLength:"200" doc:"Only this model"`
}

func (in *keyUsageInput) query() seriesQuery {
	return seriesQuery{Granularity: in.Granularity, From: in.From, To: in.To, Model: in.Model}
}

type keyUsageOutput struct{ Body KeyUsage }

var granularities = map[string]time.Duration{"minute": time.Minute, "hour": time.Hour, "day": 24 * time.Hour}

func registerAdminUsage(hapi huma.API, s *server) {
	tags := []string{"admin: usage"}
	huma.Register(hapi, huma.Operation{
		OperationID: "get-usage-series", Method: http.MethodGet, Path: "/admin/usage",
		Summary: "Usage time series", Tags: tags, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "Requests, tokens, cost, errors and p50/p95 latency per minute, hour or day (UTC buckets), optionally for one key or model.",
	}, func(ctx context.Context, in *usageSeriesInput) (*usageSeriesOutput, error) {
		series, err := s.usageSeries(ctx, in.query(), in.APIKeyID)
		if err != nil {
			return nil, err
		}
		return &usageSeriesOutput{Body: series}, nil
	})
	huma.Register(hapi, huma.Operation{
		OperationID: "usage-summary", Method: http.MethodGet, Path: "/admin/usage/summary",
		Summary: "Usage per key and per model", Tags: tags, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "Totals of the usage events in the time range (requests, errors, tokens, cost), grouped by API key and by model.",
	}, s.usageSummary)
	huma.Register(hapi, huma.Operation{
		OperationID: "api-key-usage", Method: http.MethodGet, Path: "/admin/api-keys/{id}/usage",
		Summary: "One key's usage", Tags: []string{"admin: keys"}, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "The key's totals and per-model split over the period, and its time series.",
	}, s.keyUsage)
}

// usageSeries resolves the period and asks the store for the buckets.
func (s *server) usageSeries(ctx context.Context, q seriesQuery, keyID string) (UsageSeries, error) {
	width := granularities[q.Granularity]
	if width == 0 {
		width, q.Granularity = time.Hour, "hour"
	}
	to := q.To
	if to.IsZero() {
		to = time.Now().UTC()
	}
	from := q.From
	if from.IsZero() {
		from = to.Add(-60 * width).Truncate(width)
	}
	var fe api.FieldErrors
	if !from.Before(to) {
		fe.Add("query.from", "must be before to", from.Format(time.RFC3339))
	} else if to.Sub(from)/width > 5000 {
		fe.Add("query.from", fmt.Sprintf("the period holds more than 5000 %s buckets; choose a coarser granularity", q.Granularity), from.Format(time.RFC3339))
	}
	if err := fe.Problem(); err != nil {
		return UsageSeries{}, err
	}
	buckets, err := s.Store.UsageSeries(ctx, store.UsageFilter{APIKeyID: keyID, Model: q.Model, From: from, To: to}, width)
	if err != nil {
		return UsageSeries{}, api.ToProblem(err)
	}
	out := UsageSeries{Granularity: q.Granularity, From: from, To: to, Buckets: make([]UsageBucketBody, 0, len(buckets))}
	for _, b := range buckets {
		out.Buckets = append(out.Buckets, UsageBucketBody(b))
	}
	return out, nil
}

func (s *server) usageSummary(ctx context.Context, in *usageSummaryInput) (*usageSummaryOutput, error) {
	to := in.To
	if to.IsZero() {
		to = time.Now().UTC()
	}
	from := in.From
	if from.IsZero() {
		from = to.Add(-30 * 24 * time.Hour)
	}
	f := store.UsageFilter{From: from, To: to}
	tot, err := s.Store.SumUsage(ctx, f)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	byKey, err := s.Store.SumUsageByKey(ctx, f)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	byModel, err := s.Store.SumUsageByModel(ctx, f)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	out := UsageSummary{From: from, To: to, Totals: api.TotalsBody(tot), ByKey: []KeyUsageTotals{}, ByModel: modelTotals(byModel)}
	for id, t := range byKey {
		line := KeyUsageTotals{APIKeyID: id, UsageTotalsBody: api.TotalsBody(t)}
		if k, err := s.Store.GetAPIKey(ctx, id); err == nil {
			line.Name = k.Name
		}
		out.ByKey = append(out.ByKey, line)
	}
	sort.Slice(out.ByKey, func(i, j int) bool {
		a, b := out.ByKey[i], out.ByKey[j]
		return a.Requests > b.Requests || (a.Requests == b.Requests && a.APIKeyID < b.APIKeyID)
	})
	return &usageSummaryOutput{Body: out}, nil
}

func (s *server) keyUsage(ctx context.Context, in *keyUsageInput) (*keyUsageOutput, error) {
	if _, err := s.Store.GetAPIKey(ctx, in.ID); err != nil {
		return nil, api.ToProblem(err)
	}
	series, err := s.usageSeries(ctx, in.query(), in.ID)
	if err != nil {
		return nil, err
	}
	f := store.UsageFilter{APIKeyID: in.ID, Model: in.Model, From: series.From, To: series.To}
	tot, err := s.Store.SumUsage(ctx, f)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	byModel, err := s.Store.SumUsageByModel(ctx, f)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	_, convs, err := s.Store.ListConversations(ctx, in.ID, 1, 0)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	return &keyUsageOutput{Body: KeyUsage{APIKeyID: in.ID, Totals: api.TotalsBody(tot), ByModel: modelTotals(byModel), Series: series, Conversations: convs}}, nil
}

func modelTotals(m map[string]store.UsageTotals) []ModelUsageTotals {
	out := make([]ModelUsageTotals, 0, len(m))
	for model, t := range m {
		out = append(out, ModelUsageTotals{Model: model, UsageTotalsBody: api.TotalsBody(t)})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Requests > out[j].Requests || (out[i].Requests == out[j].Requests && out[i].Model < out[j].Model)
	})
	return out
}
