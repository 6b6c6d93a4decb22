package tenant

import (
	"context"
	"fmt"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies/abi"
)

const secondsPerDay = 86400

// counters are one key's usage as admission sees it: requests in the last minute
// (in per-second buckets, so the window slides), and today's requests, tokens and
// cost, which start again at UTC midnight. In-flight requests are the grain's
// holds, not counted here.
type counters struct {
	day           int64 // UTC day (Unix seconds / 86400) of the daily counts
	secs          [60]bucket
	requestsToday int64
	tokensToday   int64
	costToday     float64
}

// bucket counts the requests admitted in one Unix second.
type bucket struct{ sec, n int64 }

// roll starts new daily counts when now is on a later UTC day.
func (c *counters) roll(now time.Time) {
	if day := now.Unix() / secondsPerDay; day != c.day {
		c.day, c.requestsToday, c.tokensToday, c.costToday = day, 0, 0, 0
	}
}

// addRequests counts n requests admitted at t (today's count only when t is today).
func (c *counters) addRequests(now, t time.Time, n int64) {
	c.roll(now)
	sec := t.Unix()
	if sec > now.Unix()-60 {
		b := &c.secs[sec%60]
		if b.sec != sec {
			*b = bucket{sec: sec}
		}
		b.n += n
	}
	if t.Unix()/secondsPerDay == c.day {
		c.requestsToday += n
	}
}

// settle adds a finished turn's tokens and cost to today's.
func (c *counters) settle(now time.Time, tokens int64, cost float64) {
	c.roll(now)
	c.tokensToday += tokens
	c.costToday += cost
}

// lastMinute returns the requests admitted in the 60 seconds up to now.
func (c *counters) lastMinute(now time.Time) int64 {
	sec := now.Unix()
	var n int64
	for _, b := range c.secs {
		if b.sec > sec-60 && b.sec <= sec {
			n += b.n
		}
	}
	return n
}

// minuteReset returns how long until the oldest request counted in the last
// minute leaves the window, that is until lastMinute drops; 0 when none is
// counted. A request counted in second s leaves it at s+60.
func (c *counters) minuteReset(now time.Time) time.Duration {
	sec := now.Unix()
	oldest := int64(-1)
	for _, b := range c.secs {
		if b.n > 0 && b.sec > sec-60 && b.sec <= sec && (oldest < 0 || b.sec < oldest) {
			oldest = b.sec
		}
	}
	if oldest < 0 {
		return 0
	}
	return time.Unix(oldest+60, 0).Sub(now)
}

// snapshot returns the counters in the policies' form.
func (c *counters) snapshot(now time.Time, inFlight int) abi.Counters {
	c.roll(now)
	return abi.Counters{
		RequestsLastMinute: c.lastMinute(now), RequestsToday: c.requestsToday,
		TokensToday: c.tokensToday, CostToday: c.costToday, InFlight: int64(inFlight),
	}
}

// minuteScan bounds how many of the last minute's events a rebuild reads.
const minuteScan = 10000

// rebuild reads a key's counters back from its usage events: today's admitted
// turns, tokens and cost (UTC), and the last minute's turns by second. A restart
// or a passivated grain thus keeps the daily quotas.
func rebuild(ctx context.Context, st store.Store, keyID string, now time.Time) (counters, error) {
	var c counters
	now = now.UTC()
	c.roll(now)
	midnight := time.Unix(c.day*secondsPerDay, 0).UTC()
	today, err := st.SumUsage(ctx, store.UsageFilter{APIKeyID: keyID, Admitted: true, From: midnight})
	if err != nil {
		return c, fmt.Errorf("tenant: rebuild counters: %w", err)
	}
	c.tokensToday, c.costToday = today.TotalTokens, today.CostUSD
	recent, _, err := st.ListUsageEvents(ctx, store.UsageFilter{APIKeyID: keyID, Admitted: true,
		From: now.Add(-time.Minute), Limit: minuteScan})
	if err != nil {
		return c, fmt.Errorf("tenant: rebuild counters: %w", err)
	}
	for _, ev := range recent {
		if !ev.Timestamp.After(now) {
			c.addRequests(now, ev.Timestamp, 1)
		}
	}
	// Today's requests come from the sum; the loop above counted the recent ones.
	c.requestsToday = today.Requests
	return c, nil
}
