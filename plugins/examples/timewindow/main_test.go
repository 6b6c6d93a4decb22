package main

import (
	"testing"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestDecide(t *testing.T) {
	at := func(h int64) int64 { return 1_699_920_000_000 + h*3_600_000 } // a UTC midnight + h hours
	tests := []struct {
		name   string
		config string
		meta   map[string]string
		now    int64
		allow  bool
		retry  int64
	}{
		{"no config", ``, nil, at(3), true, 0},
		{"inside", `{"allowed_hours_utc":"9-17"}`, nil, at(9), true, 0},
		{"end excluded", `{"allowed_hours_utc":"9-17"}`, nil, at(17), false, 16 * 3600},
		{"wraps midnight", `{"allowed_hours_utc":"22-2"}`, nil, at(1), true, 0},
		{"metadata wins", `{"allowed_hours_utc":"9-17"}`, map[string]string{"allowed_hours_utc": "3"}, at(3), true, 0},
		{"metadata denies", ``, map[string]string{"allowed_hours_utc": "4,6"}, at(5), false, 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := decide(&abi.Input{Config: []byte(tt.config), Key: abi.Key{Metadata: tt.meta}, NowMS: tt.now})
			if out.Allow != tt.allow || out.RetryAfterS != tt.retry {
				t.Fatalf("got %+v, want allow=%v retry=%d", out, tt.allow, tt.retry)
			}
		})
	}
}
