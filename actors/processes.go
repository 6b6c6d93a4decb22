package actors

import (
	"context"
	"time"

	"github.com/ccgateway/ccgateway/internal/procstat"
)

// ProcessInfo describes one live CLI process.
type ProcessInfo struct {
	PID            int
	ConversationID string // empty for a prewarmed spare
	APIKeyID       string
	State          string // busy, idle or prewarmed
	RSSBytes       int64
	StartedAt      time.Time
	LastUsed       time.Time
	Turns          int
}

// ProcessStatus is the node's process table and queue.
type ProcessStatus struct {
	Processes    []ProcessInfo
	QueueByKey   map[string]int
	Busy         int
	MaxProcesses int
	MaxBusy      int
	MaxQueue     int
	// TotalRSSBytes is the sum of the listed processes' RSS; MemoryBudgetBytes is the
	// cli-memory-budget (0 = none).
	TotalRSSBytes     int64
	MemoryBudgetBytes int64
}

// Processes lists the live CLI processes of this node.
func (s *System) Processes() []ProcessInfo { return s.ProcessStatus().Processes }

// ProcessStatus returns the process table with RSS and the queue length per key.
func (s *System) ProcessStatus() ProcessStatus {
	snap := s.sched.Snapshot()
	st := ProcessStatus{QueueByKey: snap.QueueByKey, Busy: snap.Busy, MaxProcesses: snap.MaxProcesses,
		MaxBusy: snap.MaxBusy, MaxQueue: snap.MaxQueue, Processes: make([]ProcessInfo, 0, len(snap.Slots)),
		MemoryBudgetBytes: s.mem.budget}
	for _, sl := range snap.Slots {
		p := ProcessInfo{PID: sl.PID, APIKeyID: sl.Key, State: string(sl.State), StartedAt: sl.StartedAt,
			LastUsed: sl.LastUsed, Turns: sl.Turns}
		if sl.Key != "" {
			p.ConversationID = sl.ID
		}
		if sl.PID > 0 {
			p.RSSBytes = procstat.RSS(sl.PID)
		}
		st.TotalRSSBytes += p.RSSBytes
		st.Processes = append(st.Processes, p)
	}
	return st
}

// sweep removes the directories of keys that no longer exist and, with a
// retention period, deletes conversations idle longer than it: once at start
// (what a previous run left), then every SweepEvery.
func (s *System) sweep(ctx context.Context) {
	defer s.bg.Done()
	t := time.NewTicker(s.SweepEvery())
	defer t.Stop()
	for {
		s.Sweep(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// SweepEvery is the time between two sweeps: SweepInterval (default 1h),
// shortened to Retention/10 (at least a second) when conversations are
// retained for less.
func (s *System) SweepEvery() time.Duration {
	every := s.cfg.SweepInterval
	if every <= 0 {
		every = time.Hour
	}
	if s.cfg.Retention > 0 {
		every = min(every, max(s.cfg.Retention/10, time.Second))
	}
	return every
}

// Sweep deletes the conversations idle longer than the retention, then the
// directories of keys that no longer exist.
func (s *System) Sweep(ctx context.Context) {
	defer s.sweepTenantDirs(ctx)
	if s.cfg.Retention <= 0 {
		return
	}
	idle, err := s.st.ListIdleConversations(ctx, time.Now().Add(-s.cfg.Retention), 100)
	if err != nil {
		s.log.Warn("sweeper: list idle conversations", "err", err)
		return
	}
	for _, c := range idle {
		if err := s.DeleteConversation(ctx, c.APIKeyID, c.ID); err != nil && ctx.Err() == nil {
			s.log.Warn("sweeper: delete conversation", "conversation", c.ID, "err", err)
		}
	}
	if len(idle) > 0 {
		s.log.Info("sweeper deleted idle conversations", "count", len(idle))
	}
}
