package policies

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// Decision is a chain's verdict. The embedded Output holds the deny (code, reason,
// retry) of the deciding policy, or on allow the rewrites of all policies merged in
// order.
type Decision struct {
	abi.Output
	// Policy and Version name the policy that denied; empty when allowed.
	Policy  string
	Version int64
	// FailedOpen lists the policies that erred and were skipped (FailOpen).
	FailedOpen []string
}

// Chain is an ordered list of policies; see Evaluate. It is reference counted like
// Policy: NewChain's caller owns one reference (a Registry takes it over) and each
// evaluation holds one while it runs.
type Chain struct {
	engine   *Engine
	policies []*Policy
	refs     atomic.Int64
	once     sync.Once
}

// NewChain builds a chain of policies, all from e, in evaluation order. It retains
// each policy, so the caller may Close its own references afterwards.
func NewChain(e *Engine, policies ...*Policy) (*Chain, error) {
	c := &Chain{engine: e}
	for _, p := range policies {
		if p.engine != e {
			c.release()
			return nil, errors.New("policies: NewChain: policy " + p.name + " is from another engine")
		}
		if !p.retain() {
			c.release()
			return nil, ErrClosed
		}
		c.policies = append(c.policies, p)
	}
	c.refs.Store(1)
	return c, nil
}

// LoadChain loads every spec and builds a chain of them; on error nothing stays open.
func LoadChain(ctx context.Context, e *Engine, specs ...Spec) (*Chain, error) {
	loaded := make([]*Policy, 0, len(specs))
	defer func() {
		for _, p := range loaded {
			p.Close() // the chain holds its own references
		}
	}()
	for _, s := range specs {
		p, err := e.Load(ctx, s)
		if err != nil {
			return nil, err
		}
		loaded = append(loaded, p)
	}
	return NewChain(e, loaded...)
}

// Policies returns the chain's policies in order (for display; do not Close them).
func (c *Chain) Policies() []*Policy { return append([]*Policy(nil), c.policies...) }

// Evaluate runs the policies in order on in, which it does not modify. It stops at
// the first deny. An allow's Rewrite is applied to the request seen by the next
// policies and merged into the Decision. When a policy errs, a FailOpen policy is
// skipped (listed in Decision.FailedOpen) and a FailClosed one ends the chain with a
// deny of code policy_error and a *PolicyError, so a caller that only looks at
// Decision.Allow still refuses.
func (c *Chain) Evaluate(ctx context.Context, in *abi.Input) (Decision, error) {
	if !c.retain() {
		return Decision{Output: abi.Output{Code: abi.CodePolicyError, Reason: "policy chain closed"}}, ErrClosed
	}
	defer c.release()
	e := c.engine
	if co, ok := e.cfg.Observer.(ChainObserver); ok {
		ctx = co.ChainStarted(ctx)
	}
	start := time.Now()
	d, err := c.evaluate(ctx, in)
	e.counters.decisions.Add(1)
	if d.Allow {
		e.counters.allowed.Add(1)
	} else {
		e.counters.denied.Add(1)
	}
	e.cfg.Observer.DecisionMade(ctx, d, time.Since(start), err)
	return d, err
}

func (c *Chain) evaluate(ctx context.Context, in *abi.Input) (Decision, error) {
	req := *in
	req.ABI = abi.Version
	d := Decision{Output: abi.Output{Allow: true}}
	bp := inputBufs.Get().(*[]byte)
	defer inputBufs.Put(bp)
	for _, p := range c.policies {
		req.Config = p.config
		*bp = abijson.AppendInputFields((*bp)[:0], &req, p.fields)
		out, err := p.call(ctx, *bp)
		if err != nil {
			if p.mode == FailOpen {
				c.engine.counters.failedOpen.Add(1)
				d.FailedOpen = append(d.FailedOpen, p.name)
				continue
			}
			return Decision{Output: abi.Output{Code: abi.CodePolicyError, Reason: "policy " + p.name + " failed"},
				Policy: p.name, Version: p.version, FailedOpen: d.FailedOpen}, err
		}
		if !out.Allow {
			out.Rewrite = nil
			return Decision{Output: out, Policy: p.name, Version: p.version, FailedOpen: d.FailedOpen}, nil
		}
		if rw := out.Rewrite; rw != nil {
			if d.Rewrite == nil {
				d.Rewrite = &abi.Rewrite{}
			}
			if rw.MaxTokens != nil {
				d.Rewrite.MaxTokens, req.Request.MaxTokens = rw.MaxTokens, *rw.MaxTokens
			}
			if rw.Model != nil {
				d.Rewrite.Model, req.Request.Model = rw.Model, *rw.Model
			}
		}
	}
	return d, nil
}

func (c *Chain) retain() bool {
	for {
		n := c.refs.Load()
		if n <= 0 {
			return false
		}
		if c.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

func (c *Chain) release() {
	if c.refs.Add(-1) <= 0 {
		c.once.Do(func() {
			for _, p := range c.policies {
				p.Close()
			}
		})
	}
}

// Close drops the owner's reference; the policies are released once evaluations in
// flight have finished.
func (c *Chain) Close() { c.release() }
