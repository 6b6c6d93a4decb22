package actors

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/actors/tenant"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// TestKeyDefaultConcurrency: a key without a concurrency limit of its own may have
// KeyDefaultConcurrency requests in flight (0: twice max processes; negative: no
// cap); the next is denied at once with concurrency_limit and a Retry-After, and a
// settled turn frees its place.
func TestKeyDefaultConcurrency(t *testing.T) {
	tests := []struct {
		name    string
		setting int
		want    int // the cap in force; 0 = none
	}{
		{"zero is twice max-processes", 0, 6},
		{"explicit", 4, 4},
		{"negative is no cap", -1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, st := benchSystem(t, func(c *Config) {
				c.Scheduler = scheduler.Config{MaxProcesses: 3}
				c.KeyDefaultConcurrency = tt.setting
			})
			ctx := context.Background()
			a := Admission{Key: abi.Key{ID: newKeyID(t, st), Status: "active"}}
			admits := tt.want
			if admits == 0 {
				admits = 50 // well past any cap a bug could have set
			}
			tickets := make([]*Reservation, 0, admits)
			for i := range admits {
				d, tk, err := s.Admit(ctx, a)
				if err != nil || !d.Allow {
					t.Fatalf("admission %d: %+v %v", i, d.Denial, err)
				}
				tickets = append(tickets, tk)
			}
			if tt.want == 0 {
				return
			}
			d, tk, err := s.Admit(ctx, a)
			var den *Denial
			if d.Allow || tk != nil || err != nil || !errors.As(d.Denial, &den) {
				t.Fatalf("admission past the cap: %+v %v, want a denial", d, err)
			}
			if den.Code != abi.CodeConcurrencyLimit || den.RetryAfter < time.Second || den.Policy != tenant.DefaultCapPolicy {
				t.Fatalf("denial %+v, want concurrency_limit from %s with a Retry-After", den, tenant.DefaultCapPolicy)
			}
			tickets[0].Settle(Usage{}, 0)
			if d, _, err := s.Admit(ctx, a); err != nil || !d.Allow {
				t.Fatalf("admission after a settle: %+v %v", d.Denial, err)
			}
		})
	}
}
