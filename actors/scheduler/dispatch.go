package scheduler

import (
	"context"
	"sync"
	"time"
)

// dispatchLocked grants waiting turns in round-robin order across keys while slots
// allow, and returns the eviction callbacks to run outside the lock.
func (s *Scheduler) dispatchLocked() (evicts []func()) {
	for len(s.ring) > 0 {
		granted := false
		for i := range s.ring {
			idx := (s.cursor + i) % len(s.ring)
			k := s.ring[idx]
			w := s.queues[k][0]
			g, evict, ok := s.tryGrantLocked(w.t)
			if !ok {
				continue
			}
			evicts = append(evicts, evict)
			s.queues[k] = s.queues[k][1:]
			s.waiting--
			s.cursor = (idx + 1) % len(s.ring)
			if len(s.queues[k]) == 0 {
				s.dropKeyLocked(k)
			}
			w.grant <- g
			granted = true
			break
		}
		if !granted {
			break
		}
	}
	return evicts
}

// tryGrantLocked gives t a busy slot if one is free: its own idle process, the spare
// it adopts, a new slot, or the slot of an evicted idle process.
func (s *Scheduler) tryGrantLocked(t SlotRequest) (*Grant, func(), bool) {
	if s.busy >= s.cfg.MaxBusy {
		return nil, nil, false
	}
	now := time.Now()
	if e := s.entries[t.Conversation]; e != nil {
		if e.state == Busy {
			return nil, nil, false
		}
		e.state, e.lastUsed = Busy, now
		s.busy++
		return &Grant{s: s, id: t.Conversation}, nil, true
	}
	if e := s.entries[t.Adopt]; t.Adopt != "" && e != nil && e.state == Prewarmed {
		delete(s.entries, t.Adopt)
		e.id, e.key, e.state, e.lastUsed = t.Conversation, t.Key, Busy, now
		s.entries[t.Conversation] = e
		s.busy++
		return &Grant{s: s, id: t.Conversation}, nil, true
	}
	var evict func()
	if len(s.entries) >= s.cfg.MaxProcesses {
		v := s.victimLocked()
		if v == nil {
			return nil, nil, false
		}
		delete(s.entries, v.id)
		evict = v.evict
	}
	s.entries[t.Conversation] = &entry{id: t.Conversation, key: t.Key, state: Busy, lastUsed: now}
	s.busy++
	return &Grant{s: s, id: t.Conversation, Fresh: true}, evict, true
}

// victimLocked picks the process to evict: a prewarmed spare, else the least
// recently used idle one; nil when every process is busy.
func (s *Scheduler) victimLocked() *entry {
	var lru *entry
	for _, e := range s.entries {
		switch {
		case e.state == Prewarmed:
			return e
		case e.state == Idle && (lru == nil || e.lastUsed.Before(lru.lastUsed)):
			lru = e
		}
	}
	return lru
}

// Grant is a busy slot held by one turn.
type Grant struct {
	s  *Scheduler
	id string
	// Fresh says the conversation has no live process in the scheduler's books: spawn
	// one (and close any old one the grain still holds: it was evicted).
	Fresh bool
	once  sync.Once
}

// Attach records the process that serves the slot and how to end it when its slot
// is taken while idle. evict runs in its own goroutine.
func (g *Grant) Attach(pid int, startedAt time.Time, evict func()) {
	g.s.attach(g.id, pid, startedAt, evict)
}

func (s *Scheduler) attach(id string, pid int, startedAt time.Time, evict func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e := s.entries[id]; e != nil {
		e.pid, e.startedAt, e.evict = pid, startedAt, evict
	}
}

// Finish ends the turn. alive says the process lives on, idle, for the next turn;
// otherwise its slot is freed.
func (g *Grant) Finish(alive bool) {
	g.once.Do(func() {
		s := g.s
		s.mu.Lock()
		s.busy--
		if e := s.entries[g.id]; e != nil {
			e.turns++
			e.lastUsed = time.Now()
			e.state = Idle
			if !alive {
				delete(s.entries, g.id)
			}
		}
		evicts := s.dispatchLocked()
		s.mu.Unlock()
		runAll(evicts)
	})
}

// Drop frees the slot of an idle process that ended (passivation, delete, crash).
func (s *Scheduler) Drop(id string) {
	s.mu.Lock()
	if e := s.entries[id]; e != nil && e.state != Busy {
		delete(s.entries, id)
	}
	evicts := s.dispatchLocked()
	s.mu.Unlock()
	runAll(evicts)
}

// Close fails every waiting turn and ends every live process through its evict
// callback, waiting for the callbacks until ctx ends.
func (s *Scheduler) Close(ctx context.Context) {
	s.mu.Lock()
	s.closed = true
	for _, q := range s.queues {
		for _, w := range q {
			w.grant <- nil
		}
	}
	s.queues, s.ring, s.cursor, s.waiting = map[string][]*waiter{}, nil, 0, 0
	var evicts []func()
	for _, e := range s.entries {
		if e.evict != nil {
			evicts = append(evicts, e.evict)
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, f := range evicts {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
	}
}
