// Package scheduler decides, per node, which turns may run a Claude CLI process. It
// caps live processes (busy, idle and prewarmed together) and busy turns; takes the
// slot of the least recently used idle process (a prewarmed spare first) when a new
// process is needed; and queues turns fairly when nothing is free: round-robin
// across API keys, FIFO within a key, bounded in length and in waiting time, with
// each waiting key assured a fair share of the queue's places.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Errors of Acquire. The API answers the first two with 503 and Retry-After.
var (
	ErrQueueFull    = errors.New("scheduler: queue full")
	ErrQueueTimeout = errors.New("scheduler: timed out waiting for a CLI process")
	ErrClosed       = errors.New("scheduler: closed")
)

// State is a live process's state.
type State string

// Process states as /admin/processes shows them.
const (
	Busy      State = "busy"
	Idle      State = "idle"
	Prewarmed State = "prewarmed"
)

// Config bounds the node's CLI processes and its queue.
type Config struct {
	MaxProcesses int           // live processes: busy + idle + prewarmed
	MaxBusy      int           // turns running at once; 0 = MaxProcesses
	MaxQueue     int           // turns waiting on this node
	QueueTimeout time.Duration // longest wait in the queue
	// MaxQueuePerKey caps the turns one API key may have waiting on this node;
	// 0 = MaxQueue. Whatever it is, a full queue makes room for a key below its
	// fair share by refusing the newest turn of the key with the most waiting.
	MaxQueuePerKey int
}

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.MaxProcesses < 1:
		return fmt.Errorf("scheduler: max processes must be at least 1, got %d", c.MaxProcesses)
	case c.MaxBusy < 0 || c.MaxBusy > c.MaxProcesses:
		return fmt.Errorf("scheduler: max busy must be 0..max processes, got %d", c.MaxBusy)
	case c.MaxQueue < 0:
		return fmt.Errorf("scheduler: max queue must not be negative")
	case c.MaxQueuePerKey < 0:
		return fmt.Errorf("scheduler: max queue per key must not be negative")
	case c.QueueTimeout <= 0:
		return fmt.Errorf("scheduler: queue timeout must be positive")
	}
	return nil
}

// SlotRequest names the turn that asks for a slot.
type SlotRequest struct {
	Key          string // the API key id: the unit of fairness
	Conversation string // one turn at a time per conversation (the grain ensures it)
	// Adopt is the id of a prewarmed spare the turn has taken from a Pool; its slot
	// becomes the conversation's, unless it was evicted meanwhile.
	Adopt string
}

// entry is one live (or being spawned) process slot.
type entry struct {
	id        string // conversation id, or a spare's id
	key       string
	pid       int
	state     State
	startedAt time.Time
	lastUsed  time.Time
	turns     int
	evict     func()
}

type waiter struct {
	t     SlotRequest
	grant chan *Grant // buffered 1
	// refused, set before a nil grant is sent, is why the turn left the queue
	// without a slot (ErrQueueFull when a fairer turn took its place).
	refused error
}

// Scheduler is safe for concurrent use.
type Scheduler struct {
	cfg Config

	mu      sync.Mutex
	entries map[string]*entry
	busy    int
	queues  map[string][]*waiter
	ring    []string // keys with waiters, in round-robin order
	cursor  int      // index in ring of the key served next
	waiting int
	closed  bool
}

// New returns a scheduler.
func New(cfg Config) (*Scheduler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.MaxBusy == 0 {
		cfg.MaxBusy = cfg.MaxProcesses
	}
	if cfg.MaxQueuePerKey == 0 || cfg.MaxQueuePerKey > cfg.MaxQueue {
		cfg.MaxQueuePerKey = cfg.MaxQueue
	}
	return &Scheduler{cfg: cfg, entries: map[string]*entry{}, queues: map[string][]*waiter{}}, nil
}

// Acquire waits for a slot for t's turn. onQueued, when not nil, is called once with
// the turn's position (1 = next) if it has to wait. The Grant must be finished.
func (s *Scheduler) Acquire(ctx context.Context, t SlotRequest, onQueued func(position int)) (*Grant, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, ErrClosed
	}
	if !s.grantableNowLocked(t) && !s.makeRoomLocked(t.Key) {
		s.mu.Unlock()
		return nil, ErrQueueFull
	}
	w := &waiter{t: t, grant: make(chan *Grant, 1)}
	s.enqueueLocked(w)
	evicts := s.dispatchLocked()
	pos := 0
	if len(w.grant) == 0 {
		pos = s.positionLocked(w)
	}
	s.mu.Unlock()
	runAll(evicts)
	if pos > 0 && onQueued != nil {
		onQueued(pos)
	}
	timer := time.NewTimer(s.cfg.QueueTimeout)
	defer timer.Stop()
	select {
	case g := <-w.grant:
		if g == nil {
			if w.refused != nil {
				return nil, w.refused
			}
			return nil, ErrClosed
		}
		return g, nil
	case <-ctx.Done():
		return nil, s.abandon(w, fmt.Errorf("scheduler: %w", ctx.Err()))
	case <-timer.C:
		return nil, s.abandon(w, ErrQueueTimeout)
	}
}

// makeRoomLocked reports whether a turn of key may join the queue. A key at its
// own cap may not. When the queue is full, the key may still join if it holds
// fewer waiting turns than some other key after joining: that key's newest turn
// is refused (ErrQueueFull) to make room. So one key can fill an otherwise idle
// queue, but never keep other keys out of it: the queue converges to an equal
// share per waiting key (max-min fairness).
func (s *Scheduler) makeRoomLocked(key string) bool {
	mine := len(s.queues[key])
	if mine >= s.cfg.MaxQueuePerKey {
		return false
	}
	if s.waiting < s.cfg.MaxQueue {
		return true
	}
	var top string
	for k, q := range s.queues {
		if len(q) > len(s.queues[top]) {
			top = k
		}
	}
	q := s.queues[top]
	if top == "" || top == key || len(q) <= mine+1 {
		return false
	}
	w := q[len(q)-1]
	s.removeWaiterLocked(w)
	w.refused = ErrQueueFull
	w.grant <- nil
	return true
}

// grantableNowLocked reports whether t would run at once with nobody waiting.
func (s *Scheduler) grantableNowLocked(t SlotRequest) bool {
	if s.waiting > 0 || s.busy >= s.cfg.MaxBusy {
		return false
	}
	if e := s.entries[t.Conversation]; e != nil {
		return e.state != Busy
	}
	if len(s.entries) < s.cfg.MaxProcesses {
		return true
	}
	return s.victimLocked() != nil
}

// abandon takes w out of the queue after a timeout or cancel; a grant that raced
// in is handed back.
func (s *Scheduler) abandon(w *waiter, err error) error {
	s.mu.Lock()
	s.removeWaiterLocked(w)
	s.mu.Unlock()
	select {
	case g := <-w.grant:
		if g != nil {
			g.Finish(!g.Fresh)
		}
	default:
	}
	return err
}

func (s *Scheduler) enqueueLocked(w *waiter) {
	k := w.t.Key
	if len(s.queues[k]) == 0 {
		// A newly waiting key goes last in the current round: just before the cursor.
		s.ring = append(s.ring[:s.cursor], append([]string{k}, s.ring[s.cursor:]...)...)
		s.cursor = (s.cursor + 1) % len(s.ring)
	}
	s.queues[k] = append(s.queues[k], w)
	s.waiting++
}

func (s *Scheduler) removeWaiterLocked(w *waiter) {
	q := s.queues[w.t.Key]
	for i, x := range q {
		if x == w {
			s.queues[w.t.Key] = append(q[:i:i], q[i+1:]...)
			s.waiting--
			if len(s.queues[w.t.Key]) == 0 {
				s.dropKeyLocked(w.t.Key)
			}
			return
		}
	}
}

// dropKeyLocked removes a key with no waiters from the ring, keeping the cursor
// on the key that was to be served next.
func (s *Scheduler) dropKeyLocked(k string) {
	delete(s.queues, k)
	for i, x := range s.ring {
		if x != k {
			continue
		}
		s.ring = append(s.ring[:i:i], s.ring[i+1:]...)
		if i < s.cursor {
			s.cursor--
		}
		if len(s.ring) == 0 || s.cursor >= len(s.ring) {
			s.cursor = 0
		}
		return
	}
}

// positionLocked is w's place in the order the round-robin would serve the queue.
func (s *Scheduler) positionLocked(w *waiter) int {
	pos := 0
	for round := 0; ; round++ {
		more := false
		for i := range s.ring {
			q := s.queues[s.ring[(s.cursor+i)%len(s.ring)]]
			if round < len(q) {
				more = true
				pos++
				if q[round] == w {
					return pos
				}
			}
		}
		if !more {
			return pos
		}
	}
}

func runAll(fs []func()) {
	for _, f := range fs {
		if f != nil {
			go f()
		}
	}
}
