package scheduler

import (
	"context"
	"log/slog"
	"math"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// SpawnFunc starts a spare process with spawn signature sig.
type SpawnFunc[S comparable, P any] func(ctx context.Context, id string, sig S) (proc P, pid int, err error)

// PoolConfig shapes a Pool.
type PoolConfig[S comparable] struct {
	// Size is how many spares the pool keeps; 0 gives a pool that never holds one.
	Size int
	// Interval is how often the pool refills (and demand decays).
	Interval time.Duration
	// Default is the signature spares have before any demand is seen.
	Default S
	// MinIdle, when positive, lets a spare take the slot of the least recently used
	// idle conversation process idle at least this long when the cap is full: in
	// steady state the cap is always full, and a spare is what keeps a new
	// conversation from paying a cold spawn (~300 ms). 0 = spares use free slots only.
	MinIdle time.Duration
	// Admit, when set, is asked before each spawn; false (e.g. over the memory
	// budget) skips the refill.
	Admit func() bool
}

// demandHalfLife is how fast the pool forgets which signatures new conversations
// asked for.
const demandHalfLife = 2 * time.Minute

// Pool keeps up to Size prewarmed spare processes, each in a scheduler slot, and
// hands them to new conversations of the same spawn signature. Which signatures it
// keeps follows demand: each new conversation's signature counts (decaying with a
// half-life of two minutes), and the spares are shared out in proportion (D'Hondt),
// the default signature standing in until demand is seen. Spares are the first
// evicted when a turn needs a slot.
type Pool[S comparable, P any] struct {
	sched *Scheduler
	cfg   PoolConfig[S]
	spawn SpawnFunc[S, P]
	stop  func(P)
	log   *slog.Logger

	mu       sync.Mutex
	ready    map[string]spare[S, P]
	order    []string // ready spare ids, oldest first
	spawning map[S]int
	demand   map[S]float64
	decayed  time.Time
	closed   bool

	wake   chan struct{}
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type spare[S comparable, P any] struct {
	sig  S
	proc P
}

// NewPool starts a pool that refills itself every cfg.Interval.
func NewPool[S comparable, P any](sched *Scheduler, cfg PoolConfig[S], spawn SpawnFunc[S, P], stop func(P), log *slog.Logger) *Pool[S, P] {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 2 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool[S, P]{sched: sched, cfg: cfg, spawn: spawn, stop: stop, log: log,
		ready: map[string]spare[S, P]{}, spawning: map[S]int{}, demand: map[S]float64{}, decayed: time.Now(),
		wake: make(chan struct{}, 1), cancel: cancel}
	if cfg.Size > 0 {
		p.wg.Add(1)
		go p.loop(ctx)
		p.Refill()
	}
	return p
}

// Take hands over the oldest ready spare of signature sig: its id (for
// SlotRequest.Adopt) and process. Every call counts as demand for sig.
func (p *Pool[S, P]) Take(sig S) (id string, proc P, ok bool) {
	p.mu.Lock()
	p.demand[sig]++
	for i, x := range p.order {
		if sp := p.ready[x]; sp.sig == sig {
			id, proc, ok = x, sp.proc, true
			p.order = append(p.order[:i:i], p.order[i+1:]...)
			delete(p.ready, x)
			break
		}
	}
	p.mu.Unlock()
	// No refill here: spawning the replacement now would compete for CPU with the
	// adopted process's first turn; the taker calls Refill when that turn is over
	// (and the periodic refill catches up otherwise).
	return id, proc, ok
}

// Refill asks the pool to top up its spares soon.
func (p *Pool[S, P]) Refill() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *Pool[S, P]) loop(ctx context.Context) {
	defer p.wg.Done()
	t := time.NewTicker(p.cfg.Interval)
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

// wantLocked shares Size spares out among the signatures in demand.
func (p *Pool[S, P]) wantLocked(now time.Time) map[S]int {
	if dt := now.Sub(p.decayed); dt > 0 {
		f := pow2(-dt.Seconds() / demandHalfLife.Seconds())
		for s, d := range p.demand {
			if d *= f; d < 0.05 {
				delete(p.demand, s)
			} else {
				p.demand[s] = d
			}
		}
		p.decayed = now
	}
	weights := p.demand
	if len(weights) == 0 {
		weights = map[S]float64{p.cfg.Default: 1}
	}
	sigs := make([]S, 0, len(weights))
	for s := range weights {
		sigs = append(sigs, s)
	}
	// Stable order: the most demanded first, so ties go the same way every time.
	sort.SliceStable(sigs, func(i, j int) bool { return weights[sigs[i]] > weights[sigs[j]] })
	want := map[S]int{}
	for range p.cfg.Size {
		best := sigs[0]
		for _, s := range sigs[1:] {
			if weights[s]/float64(want[s]+1) > weights[best]/float64(want[best]+1) {
				best = s
			}
		}
		want[best]++
	}
	return want
}

// fill retires spares of signatures no longer wanted and starts spawns for the
// wanted ones until Size spares are ready or spawning, or no slot can be had.
func (p *Pool[S, P]) fill(ctx context.Context) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	want := p.wantLocked(time.Now())
	have := map[S]int{}
	for s, n := range p.spawning {
		have[s] += n
	}
	var retire []string
	for _, id := range p.order {
		s := p.ready[id].sig
		if have[s] >= want[s] {
			retire = append(retire, id)
			continue
		}
		have[s]++
	}
	var starts []S
	for s, n := range want {
		for range n - have[s] {
			starts = append(starts, s)
		}
	}
	p.mu.Unlock()
	// A spare of a signature out of demand gives its slot back only when another
	// signature needs it.
	for i, id := range retire {
		if i >= len(starts) {
			break
		}
		if proc, ok := p.remove(id); ok {
			p.sched.Drop(id)
			p.stop(proc)
		}
	}
	for _, sig := range starts {
		if p.cfg.Admit != nil && !p.cfg.Admit() {
			return
		}
		id := "spare-" + uuid.NewString()
		var evict func()
		ok := p.sched.ReserveSpare(id)
		if !ok && p.cfg.MinIdle > 0 {
			ok, evict = p.sched.ReserveSpareOverIdle(id, p.cfg.MinIdle)
		}
		if !ok {
			return
		}
		if evict != nil {
			go evict()
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			p.sched.Drop(id)
			return
		}
		p.spawning[sig]++
		p.mu.Unlock()
		p.wg.Add(1)
		go p.start(ctx, id, sig)
	}
}

func (p *Pool[S, P]) start(ctx context.Context, id string, sig S) {
	defer p.wg.Done()
	proc, pid, err := p.spawn(ctx, id, sig)
	p.mu.Lock()
	if p.spawning[sig]--; p.spawning[sig] <= 0 {
		delete(p.spawning, sig)
	}
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
	p.ready[id] = spare[S, P]{sig: sig, proc: proc}
	p.order = append(p.order, id)
	p.mu.Unlock()
	p.sched.AttachSpare(id, pid, time.Now(), func() { p.evict(id, proc) })
}

// remove takes a ready spare out of the pool.
func (p *Pool[S, P]) remove(id string) (P, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	sp, ok := p.ready[id]
	if ok {
		delete(p.ready, id)
		for i, x := range p.order {
			if x == id {
				p.order = append(p.order[:i:i], p.order[i+1:]...)
				break
			}
		}
	}
	return sp.proc, ok
}

// evict ends a spare whose slot the scheduler gave away (or, once adopted, the
// process the conversation took over, which has its own evict callback by then).
func (p *Pool[S, P]) evict(id string, proc P) {
	p.remove(id)
	p.stop(proc)
}

// Close stops refilling, waits for spawns in flight and ends the ready spares.
func (p *Pool[S, P]) Close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.cancel()
	p.wg.Wait()
	p.mu.Lock()
	ready := p.ready
	p.ready, p.order = map[string]spare[S, P]{}, nil
	p.mu.Unlock()
	for id, sp := range ready {
		p.sched.Drop(id)
		p.stop(sp.proc)
	}
}

// pow2 is 2**x for the demand decay.
func pow2(x float64) float64 { return math.Exp2(x) }
