package scheduler

import (
	"sort"
	"time"
)

// Slot describes one live process slot.
type Slot struct {
	ID        string // conversation id, or a spare's id
	Key       string // empty for a spare
	PID       int    // 0 while spawning
	State     State
	StartedAt time.Time
	LastUsed  time.Time
	Turns     int
}

// Snapshot is the scheduler's state for /admin/processes.
type Snapshot struct {
	Slots        []Slot
	QueueByKey   map[string]int
	Busy         int
	MaxProcesses int
	MaxBusy      int
	MaxQueue     int
}

// Snapshot returns the current slots (oldest first) and the queue length per key.
func (s *Scheduler) Snapshot() Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap := Snapshot{
		QueueByKey: map[string]int{}, Busy: s.busy,
		MaxProcesses: s.cfg.MaxProcesses, MaxBusy: s.cfg.MaxBusy, MaxQueue: s.cfg.MaxQueue,
	}
	for _, e := range s.entries {
		snap.Slots = append(snap.Slots, Slot{ID: e.id, Key: e.key, PID: e.pid, State: e.state,
			StartedAt: e.startedAt, LastUsed: e.lastUsed, Turns: e.turns})
	}
	sort.Slice(snap.Slots, func(i, j int) bool { return snap.Slots[i].StartedAt.Before(snap.Slots[j].StartedAt) })
	for k, q := range s.queues {
		snap.QueueByKey[k] = len(q)
	}
	return snap
}

// ReserveSpare takes a slot for a prewarmed spare when one is free and no turn
// waits: spares never take a slot from a turn.
func (s *Scheduler) ReserveSpare(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.waiting > 0 || len(s.entries) >= s.cfg.MaxProcesses {
		return false
	}
	s.entries[id] = &entry{id: id, state: Prewarmed, lastUsed: time.Now()}
	return true
}

// AttachSpare records a spare's process once it runs.
func (s *Scheduler) AttachSpare(id string, pid int, startedAt time.Time, evict func()) {
	s.attach(id, pid, startedAt, evict)
}

// ReserveSpareOverIdle is ReserveSpare for a full cap: when no slot is free it takes
// the slot of the least recently used idle conversation process that has been idle
// for at least minIdle (its conversation resumes on its next turn), and returns that
// process's evict callback for the caller to run. A conversation in active use is
// never the victim, nor is another spare, and nothing is taken while turns wait.
func (s *Scheduler) ReserveSpareOverIdle(id string, minIdle time.Duration) (ok bool, evict func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.waiting > 0 {
		return false, nil
	}
	if len(s.entries) >= s.cfg.MaxProcesses {
		v := s.staleIdleLocked(time.Now().Add(-minIdle))
		if v == nil {
			return false, nil
		}
		delete(s.entries, v.id)
		evict = v.evict
	}
	s.entries[id] = &entry{id: id, state: Prewarmed, lastUsed: time.Now()}
	return true, evict
}

// staleIdleLocked is the least recently used idle conversation process last used
// before cutoff, or nil.
func (s *Scheduler) staleIdleLocked(cutoff time.Time) *entry {
	var lru *entry
	for _, e := range s.entries {
		if e.state == Idle && e.lastUsed.Before(cutoff) && (lru == nil || e.lastUsed.Before(lru.lastUsed)) {
			lru = e
		}
	}
	return lru
}
