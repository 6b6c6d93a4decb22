package actors

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccgateway/ccgateway/internal/procstat"
)

// memory enforces the CLI memory budget. A CLI process takes ~190–200 MB of RSS
// when fresh and ~270 MB after 100 turns (RESEARCH.md), so the process cap alone
// bounds memory only loosely: the budget ends idle processes when the measured
// total passes it, and keeps spares from being spawned into it.
type memory struct {
	budget int64        // bytes; 0 = none
	total  atomic.Int64 // last measured total RSS of the CLI processes
	count  atomic.Int64 // processes in that total
	mu     sync.Mutex   // serializes trims
}

// roomForOne reports whether one more process of the average measured size (200 MB
// before any is measured) fits within the budget.
func (m *memory) roomForOne() bool {
	if m.budget <= 0 {
		return true
	}
	total, n := m.total.Load(), m.count.Load()
	per := int64(200 << 20)
	if n > 0 {
		per = total / n
	}
	return total+per <= m.budget
}

// CLIMemory returns the total RSS of this node's CLI processes at the last
// measurement (every two seconds) and the budget (0 = none).
func (s *System) CLIMemory() (total, budget int64) { return s.mem.total.Load(), s.mem.budget }

// watchMemory measures the CLI processes' RSS every interval and, with a budget,
// ends idle processes until the total is within it.
func (s *System) watchMemory(ctx context.Context, every time.Duration) {
	defer s.bg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.trimMemory()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *System) trimMemory() {
	s.mem.mu.Lock()
	defer s.mem.mu.Unlock()
	var n int64
	total, evicts := s.sched.TrimToBudget(s.mem.budget, func(pid int) int64 { n++; return procstat.RSS(pid) })
	s.mem.total.Store(total)
	s.mem.count.Store(n)
	if len(evicts) > 0 {
		s.log.Info("cli memory budget: ending idle processes", "total_rss", total, "budget", s.mem.budget, "evicted", len(evicts))
	}
	for _, f := range evicts {
		if f != nil {
			go f()
		}
	}
}
