package tenant

import (
	"testing"
	"time"
)

func TestCounters(t *testing.T) {
	day := time.Date(2025, 3, 1, 23, 59, 30, 0, time.UTC)
	tests := []struct {
		name string
		run  func(c *counters) time.Time // returns when to look
		want [3]int64                    // last minute, requests today, tokens today
	}{
		{"a request counts in both windows", func(c *counters) time.Time {
			c.addRequests(day, day, 1)
			return day
		}, [3]int64{1, 1, 0}},
		{"the minute slides", func(c *counters) time.Time {
			c.addRequests(day.Add(-50*time.Second), day.Add(-50*time.Second), 1)
			c.addRequests(day, day, 1)
			return day.Add(15 * time.Second)
		}, [3]int64{1, 2, 0}},
		{"midnight starts a new day", func(c *counters) time.Time {
			c.addRequests(day, day, 2)
			c.settle(day, 100, 0.5)
			return day.Add(40 * time.Second)
		}, [3]int64{2, 0, 0}},
		{"settle adds tokens", func(c *counters) time.Time {
			c.addRequests(day, day, 1)
			c.settle(day, 40, 0.1)
			c.settle(day, 2, 0.1)
			return day
		}, [3]int64{1, 1, 42}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c counters
			at := tc.run(&c)
			s := c.snapshot(at, 0)
			if got := [3]int64{s.RequestsLastMinute, s.RequestsToday, s.TokensToday}; got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
