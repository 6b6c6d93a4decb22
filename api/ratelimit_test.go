package api

import (
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/actors"
)

func TestRateLimitFields(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		w    actors.MinuteWindow
		now  time.Time
		want [3]string // limit, remaining, reset
	}{
		{"empty window", actors.MinuteWindow{At: at}, at, [3]string{"10", "10", "0"}},
		{"reset rounds up", actors.MinuteWindow{Requests: 3, Reset: 1500 * time.Millisecond, At: at}, at, [3]string{"10", "7", "2"}},
		{"time since the window was read counts", actors.MinuteWindow{Requests: 3, Reset: 30 * time.Second, At: at}, at.Add(800 * time.Millisecond), [3]string{"10", "7", "30"}},
		{"over the limit", actors.MinuteWindow{Requests: 12, Reset: 5 * time.Second, At: at}, at, [3]string{"10", "0", "5"}},
		{"reset passed", actors.MinuteWindow{Requests: 1, Reset: time.Second, At: at}, at.Add(2 * time.Second), [3]string{"10", "9", "0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := rateLimitFields(10, tc.w, tc.now)
			if got := [3]string{f[HeaderRateLimitLimit], f[HeaderRateLimitRemaining], f[HeaderRateLimitReset]}; got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
