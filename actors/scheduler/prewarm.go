package scheduler

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
)

// SpawnFunc starts a spare process with the default spawn signature.
type SpawnFunc[P any] func(ctx context.Context, id string) (proc P, pid int, err error)

// Pool keeps up to Size prewarmed spare processes, each in a scheduler slot, and
// hands them to new conversations whose spawn signature is the default one. Spares
// only use free slots, and are the first evicted when a turn needs one.
type Pool[P any] struct {
	sched *Scheduler
	size  int
	spawn SpawnFunc[P]
	stop  func(P)
	log   *slog.Logger

	mu       sync.Mutex
	ready    map[string]P
	order    []string // ready spare ids, oldest first
	spawning int
	closed   bool

	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewPool starts a pool that refills itself every interval.
// size 0 gives a pool that never holds a spare.
func NewPool[P any](sched *Scheduler, size int, interval time.Duration, spawn SpawnFunc[P], stop func(P), log *slog.Logger) *Pool[P] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool[P]{sched: sched, size: size, spawn: spawn, stop: stop, log: log,
		ready: map[string]P{}, wake: make(chan struct{}, 1), cancel: cancel}
	if size > 0 {
		p.wg.Add(1)
		go p.loop(ctx, interval)
		p.Refill()
	}
	return p
}

// Take hands over the oldest ready spare: its id (for Ticket.Adopt) and process.
func (p *Pool[P]) Take() (id string, proc P, ok bool) {
	p.mu.Lock()
	if len(p.order) > 0 {
		id, p.order = p.order[0], p.order[1:]
		proc, ok = p.ready[id]
		delete(p.ready, id)
	}
	p.mu.Unlock()
	// No refill here: spawning the replacement now would compete for CPU with the
	// adopted process's first turn; the periodic refill follows shortly.
	return id, proc, ok
}

// Refill asks the pool to top up its spares soon.
func (p *Pool[P]) Refill() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Pool[P]) loop(ctx context.Context, interval time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-t.C:
		}
		p.fill(ctx)
	}
}

// fill starts spawns until size spares are ready or spawning, or no slot is free.
func (p *Pool[P]) fill(ctx context.Context) {
	for {
		p.mu.Lock()
		if p.closed || len(p.order)+p.spawning >= p.size {
			p.mu.Unlock()
			return
		}
		id := "spare-" + uuid.NewString()
		if !p.sched.ReserveSpare(id) {
			p.mu.Unlock()
			return
		}
		p.spawning++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.start(ctx, id)
	}
}

func (p *Pool[P]) start(ctx context.Context, id string) {
	defer p.wg.Done()
	proc, pid, err := p.spawn(ctx, id)
	p.mu.Lock()
	p.spawning--
	if err != nil || p.closed {
		p.mu.Unlock()
		p.sched.Drop(id)
		if err == nil {
			p.stop(proc)
		} else if ctx.Err() == nil {
			p.log.Warn("prewarm: spawn failed", "err", err)
		}
		return
	}
	p.ready[id] = proc
	p.order = append(p.order, id)
	p.mu.Unlock()
	p.sched.AttachSpare(id, pid, time.Now(), func() { p.evict(id, proc) })
}

// evict ends a spare whose slot the scheduler gave away (or, once adopted, the
// process the conversation took over, which has its own evict callback by then).
func (p *Pool[P]) evict(id string, proc P) {
	p.mu.Lock()
	if _, ok := p.ready[id]; ok {
		delete(p.ready, id)
		for i, x := range p.order {
			if x == id {
				p.order = append(p.order[:i:i], p.order[i+1:]...)
				break
			}
		}
	}
	p.mu.Unlock()
	p.stop(proc)
}

// Close stops refilling, waits for spawns in flight and ends the ready spares.
func (p *Pool[P]) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	ready := p.ready
	p.ready, p.order = map[string]P{}, nil
	p.mu.Unlock()
	for id, proc := range ready {
		p.sched.Drop(id)
		p.stop(proc)
	}
}
