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

// TestMinuteReset: the RateLimit-Reset of the window is the time until its
// oldest counted request leaves it, and the window empties then.
func TestMinuteReset(t *testing.T) {
	t0 := time.Date(2025, 3, 1, 12, 0, 10, 0, time.UTC)
	var c counters
	if got := c.minuteReset(t0); got != 0 {
		t.Fatalf("an empty window resets in %v, want 0", got)
	}
	c.addRequests(t0, t0, 1)
	c.addRequests(t0.Add(20*time.Second), t0.Add(20*time.Second), 2)
	now := t0.Add(30*time.Second + 400*time.Millisecond)
	if got, want := c.minuteReset(now), 29600*time.Millisecond; got != want {
		t.Errorf("reset %v, want %v (the request of 12:00:10 leaves at 12:01:10)", got, want)
	}
	leave := t0.Add(time.Minute)
	if n := c.lastMinute(leave); n != 2 {
		t.Errorf("when the oldest left: %d in the window, want 2", n)
	}
	if got, want := c.minuteReset(leave), 20*time.Second; got != want {
		t.Errorf("then the reset is %v, want %v", got, want)
	}
	if got := c.minuteReset(t0.Add(80 * time.Second)); got != 0 || c.lastMinute(t0.Add(80*time.Second)) != 0 {
		t.Errorf("a minute after the last request: reset %v, %d requests", got, c.lastMinute(t0.Add(80*time.Second)))
	}
}
