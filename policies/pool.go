package policies

import (
	"context"
	"sync"

	"github.com/tetratelabs/wazero"
)

// pool holds the idle instances of one policy version. sem bounds the instances
// alive (idle or busy) so that load cannot instantiate without limit.
type pool struct {
	engine   *Engine
	compiled wazero.CompiledModule
	idle     chan *instance
	sem      chan struct{}

	mu     sync.Mutex
	closed bool
}

func newPool(e *Engine, compiled wazero.CompiledModule) *pool {
	return &pool{
		engine:   e,
		compiled: compiled,
		idle:     make(chan *instance, e.cfg.MaxInstances),
		sem:      make(chan struct{}, e.cfg.MaxInstances),
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

// put returns a healthy instance to the pool.
func (p *pool) put(inst *instance) {
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

// close closes the idle instances; busy ones are closed when put back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for {
		select {
		case inst := <-p.idle:
			inst.close()
		default:
			return
		}
	}
}
