package policies

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero"
)

// pool holds the idle instances of one policy version. sem bounds the instances
// alive (idle, busy or collecting) so that load cannot instantiate without limit.
// The pool owns one goroutine, which runs guests' ccg_gc off the callers' path;
// close stops it and waits.
type pool struct {
	engine   *Engine
	compiled wazero.CompiledModule
	idle     chan *instance
	sem      chan struct{}
	gcq      chan *instance
	gcDone   chan struct{}

	mu     sync.Mutex
	closed bool
}

func newPool(e *Engine, compiled wazero.CompiledModule) *pool {
	p := &pool{
		engine:   e,
		compiled: compiled,
		idle:     make(chan *instance, e.cfg.MaxInstances),
		sem:      make(chan struct{}, e.cfg.MaxInstances),
		gcq:      make(chan *instance, e.cfg.MaxInstances),
		gcDone:   make(chan struct{}),
	}
	go p.collectLoop()
	return p
}

// collectLoop runs ccg_gc on the instances put queues, then returns them to idle.
func (p *pool) collectLoop() {
	defer close(p.gcDone)
	for inst := range p.gcq {
		ctx, cancel := context.WithTimeout(context.Background(), p.engine.cfg.GCTimeout)
		err := inst.collect(ctx)
		cancel()
		p.engine.counters.collections.Add(1)
		if err != nil {
			p.engine.cfg.Logger.Warn("policy garbage collection failed; instance discarded", "err", err)
			p.discard(inst)
			continue
		}
		p.release(inst)
	}
}

// get returns an instance for the caller's exclusive use; give it back with put, or
// with discard after any error.
func (p *pool) get(ctx context.Context) (*instance, error) {
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case inst := <-p.idle:
		return inst, nil
	default:
	}
	if p.isClosed() {
		<-p.sem
		return nil, ErrClosed
	}
	inst, err := p.engine.newInstance(ctx, p.compiled)
	if err != nil {
		<-p.sem
		return nil, err
	}
	return inst, nil
}

// put returns a healthy instance to the pool, by way of a collection every
// GCEvery evaluations when the guest exports ccg_gc.
func (p *pool) put(inst *instance) {
	inst.calls++
	if inst.gc != nil && inst.calls >= p.engine.cfg.GCEvery {
		p.mu.Lock()
		if !p.closed {
			p.gcq <- inst // never blocks: at most MaxInstances exist
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	p.release(inst)
}

// release makes inst idle (or closes it when the pool is closed) and frees its slot.
func (p *pool) release(inst *instance) {
	p.mu.Lock()
	if p.closed {
		inst.close()
	} else {
		p.idle <- inst // never blocks: at most MaxInstances exist
	}
	p.mu.Unlock()
	<-p.sem
}

// discard closes an instance that failed; the pool makes a fresh one when needed.
func (p *pool) discard(inst *instance) {
	inst.close()
	p.engine.counters.discarded.Add(1)
	<-p.sem
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close stops the collector goroutine and closes the idle instances; busy ones
// are closed when put back.
func (p *pool) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.gcq)
	}
	p.mu.Unlock()
	<-p.gcDone // instances being collected are closed by release
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		select {
		case inst := <-p.idle:
			inst.close()
		default:
			return
		}
	}
}
