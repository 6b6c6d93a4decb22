package actors

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/actors/tenant"
	"github.com/ccgateway/ccgateway/internal/testkit"
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

// TestGrainSettlesTheTurnItRan: the conversation grain settles the turn's
// admission slot with what it spent once the turn ended, so the key's counters
// are right even when the caller never settles (its node died with the turn in
// flight); the caller's own settle of the same ticket then counts nothing more.
func TestGrainSettlesTheTurnItRan(t *testing.T) {
	s, st := benchSystem(t, nil)
	ctx := context.Background()
	key := newKeyID(t, st)
	d, tk, err := s.Admit(ctx, Admission{Key: abi.Key{ID: key, Status: "active"}})
	if err != nil || !d.Allow {
		t.Fatalf("admission: %+v %v", d.Denial, err)
	}
	res := turn(t, s, ChatRequest{APIKeyID: key, Message: "hello", ticket: tk.id})
	want := res.Usage.Total()
	if want == 0 {
		t.Fatal("the turn reported no tokens")
	}
	var c abi.Counters
	testkit.Eventually(t, 10*time.Second, "the grain settled the slot with the turn's tokens", func() bool {
		c, err = s.Counters(ctx, key)
		return err == nil && c.InFlight == 0 && c.TokensToday == want
	})
	tk.Settle(res.Usage, res.CostUSD) // the caller's settle, as Turn.finish sends it
	if c, err = s.Counters(ctx, key); err != nil || c.TokensToday != want || c.InFlight != 0 {
		t.Fatalf("after the caller's settle: %+v %v, want %d tokens counted once", c, err, want)
	}
}
