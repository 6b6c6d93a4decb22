package policies

import (
	"context"
	"sync/atomic"

	"github.com/ccgateway/ccgateway/policies/abi"
)

// Registry holds the active Chain and swaps it atomically: evaluations that started
// on the old chain finish on it, and the old chain is closed when the last of them
// returns.
type Registry struct {
	cur atomic.Pointer[Chain]
}

// NewRegistry returns a Registry that owns c (which may be nil).
func NewRegistry(c *Chain) *Registry {
	r := &Registry{}
	if c != nil {
		r.cur.Store(c)
	}
	return r
}

// Swap makes c the active chain, taking ownership of it, and releases the previous
// one (closed once its evaluations in flight drain).
func (r *Registry) Swap(c *Chain) {
	if old := r.cur.Swap(c); old != nil {
		old.release()
	}
}

// Acquire returns the active chain retained for the caller, who must call release
// when done; it returns ErrNoChain when there is none.
func (r *Registry) Acquire() (c *Chain, release func(), err error) {
	for {
		c := r.cur.Load()
		if c == nil {
			return nil, nil, ErrNoChain
		}
		if c.retain() {
			return c, c.release, nil
		}
		if r.cur.Load() == c {
			return nil, nil, ErrClosed // closed by someone while still active
		}
		// c was swapped out and drained between Load and retain; load the new one.
	}
}

// Evaluate runs the active chain on in (see Chain.Evaluate).
func (r *Registry) Evaluate(ctx context.Context, in *abi.Input) (Decision, error) {
	c, release, err := r.Acquire()
	if err != nil {
		return Decision{Output: abi.Output{Code: abi.CodePolicyError, Reason: "no policy chain"}}, err
	}
	defer release()
	return c.Evaluate(ctx, in)
}

// Close releases the active chain; later evaluations return ErrNoChain.
func (r *Registry) Close() { r.Swap(nil) }
