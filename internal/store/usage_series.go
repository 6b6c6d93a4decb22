package store

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// maxSeriesBuckets bounds UsageSeries so a tiny bucket over a long range fails
// fast instead of allocating without limit.
const maxSeriesBuckets = 10000

// UsageSeries aggregates the events matching f into consecutive buckets of width
// bucket. It reads the matching rows in time order and aggregates them in Go, so
// both databases share one implementation and percentiles are exact.
func (s *sqlStore) UsageSeries(ctx context.Context, f UsageFilter, bucket time.Duration) ([]UsageBucket, error) {
	if bucket <= 0 {
		return nil, fmt.Errorf("store: usage series: bucket must be positive, got %v", bucket)
	}
	origin := time.Unix(0, 0).UTC()
	if !f.From.IsZero() {
		origin = f.From.UTC()
	}
	w := s.usageWhere(f)
	rows, err := s.rd().query(ctx, `SELECT ts, status_code, request_tokens, response_tokens, total_tokens,
		cost_usd, response_time_ms FROM usage_events`+w.sql()+` ORDER BY ts`, w.args...)
	if err != nil {
		return nil, s.d.wrap(err, "usage series")
	}
	defer rows.Close()
	var (
		out   []UsageBucket
		times [][]int64 // response times per bucket in out
	)
	for rows.Next() {
		var (
			ts     time.Time
			status int
			e      UsageBucket
			rt     int64
		)
		if err := rows.Scan(timeCol{&ts}, &status, &e.RequestTokens, &e.ResponseTokens,
			&e.TotalTokens, &e.CostUSD, &rt); err != nil {
			return nil, s.d.wrap(err, "usage series")
		}
		start := bucketStart(origin, ts, bucket)
		if len(out) == 0 || !out[len(out)-1].Start.Equal(start) {
			out = append(out, UsageBucket{Start: start})
			times = append(times, nil)
		}
		b := &out[len(out)-1]
		b.Requests++
		if status >= 400 {
			b.Errors++
		}
		b.RequestTokens += e.RequestTokens
		b.ResponseTokens += e.ResponseTokens
		b.TotalTokens += e.TotalTokens
		b.CostUSD += e.CostUSD
		times[len(times)-1] = append(times[len(times)-1], rt)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.wrap(err, "usage series")
	}
	for i := range out {
		slices.Sort(times[i])
		out[i].P50MS = percentile(times[i], 0.50)
		out[i].P95MS = percentile(times[i], 0.95)
	}
	return fillBuckets(out, origin, f, bucket)
}

// bucketStart returns the start of the bucket of width d, aligned to origin, that
// holds t.
func bucketStart(origin, t time.Time, d time.Duration) time.Time {
	off := t.Sub(origin)
	n := off / d
	if off < 0 && off%d != 0 {
		n--
	}
	return origin.Add(n * d)
}

// fillBuckets inserts empty buckets so the series has no gaps, from f.From (or the
// first event) to the bucket holding f.To (exclusive) or the last event.
func fillBuckets(got []UsageBucket, origin time.Time, f UsageFilter, d time.Duration) ([]UsageBucket, error) {
	var first, last time.Time
	switch {
	case !f.From.IsZero():
		first = origin
	case len(got) > 0:
		first = got[0].Start
	default:
		return []UsageBucket{}, nil
	}
	switch {
	case !f.To.IsZero():
		last = bucketStart(origin, f.To.Add(-time.Nanosecond), d)
	case len(got) > 0:
		last = got[len(got)-1].Start
	default:
		last = first
	}
	if last.Before(first) {
		return []UsageBucket{}, nil
	}
	if last.Sub(first)/d >= maxSeriesBuckets {
		return nil, fmt.Errorf("store: usage series: more than %d buckets of %v", maxSeriesBuckets, d)
	}
	out := make([]UsageBucket, 0, int(last.Sub(first)/d)+1)
	i := 0
	for t := first; !t.After(last); t = t.Add(d) {
		if i < len(got) && got[i].Start.Equal(t) {
			out = append(out, got[i])
			i++
			continue
		}
		out = append(out, UsageBucket{Start: t})
	}
	return out, nil
}

// percentile returns the nearest-rank p-th percentile of sorted values, 0 for none.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
