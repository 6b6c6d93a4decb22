package policies

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"

	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

// FailureMode says what a Chain does when a policy errs (trap, timeout, bad output).
type FailureMode int

const (
	// FailClosed denies the request with code policy_error (the default).
	FailClosed FailureMode = iota
	// FailOpen skips the failed policy and goes on with the chain.
	FailOpen
)

// Spec is one policy version to load.
type Spec struct {
	Name    string
	Version int64
	Wasm    []byte
	// Config is the policy's own JSON configuration, passed in every abi.Input.
	Config      json.RawMessage
	FailureMode FailureMode
	// Tests are self-test cases; Load refuses the policy unless all pass.
	Tests []TestCase
}

// TestCase is one self-test: the policy must decide Input as Allow (and, when Code
// is set, with that deny code). Input.Config is replaced by the policy's Config.
// Its JSON form is {"name": ..., "input": {...abi.Input}, "allow": bool, "code": ...}.
type TestCase struct {
	Name  string    `json:"name"`
	Input abi.Input `json:"input"`
	Allow bool      `json:"allow"`
	Code  string    `json:"code,omitempty"`
}

// ParseTests decodes the JSON array of self-test cases stored with a policy version.
func ParseTests(data []byte) ([]TestCase, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var tests []TestCase
	if err := json.Unmarshal(data, &tests); err != nil {
		return nil, fmt.Errorf("policies: tests: %w", err)
	}
	return tests, nil
}

// Policy is a loaded, validated policy version with its instance pool. It is
// reference counted: Load's caller holds one reference and each Chain holding the
// policy another; the last Close frees it.
type Policy struct {
	name     string
	version  int64
	config   json.RawMessage
	fields   abi.Fields // what the guest reads, from input_fields
	mode     FailureMode
	engine   *Engine
	compiled wazero.CompiledModule
	pool     *pool
	refs     atomic.Int64
	once     sync.Once
}

// Load compiles spec.Wasm, checks its imports and exports, instantiates it, checks
// abi_version() and runs its self-tests. Errors name what failed: ErrForbiddenImport,
// ErrMissingExport, ErrABIVersion, ErrSelfTest, or a wrapped compile error.
func (e *Engine) Load(ctx context.Context, spec Spec) (*Policy, error) {
	if e.isClosed() {
		return nil, ErrClosed
	}
	if len(spec.Config) > 0 && !json.Valid(spec.Config) {
		return nil, fmt.Errorf("policies: %s: config is not valid JSON", spec.Name)
	}
	compiled, err := e.runtime.CompileModule(ctx, spec.Wasm)
	if err != nil {
		return nil, fmt.Errorf("policies: compile %s: %w", spec.Name, err)
	}
	if err := validate(compiled); err != nil {
		_ = compiled.Close(ctx)
		return nil, err
	}
	p := &Policy{name: spec.Name, version: spec.Version, config: spec.Config, mode: spec.FailureMode,
		engine: e, compiled: compiled, pool: newPool(e, compiled)}
	p.refs.Store(1)
	if err := p.check(ctx, spec.Tests); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// check verifies abi_version() on a first instance, reads input_fields() and runs
// the self-tests.
func (p *Policy) check(ctx context.Context, tests []TestCase) error {
	inst, err := p.pool.get(ctx)
	if err != nil {
		return err
	}
	callCtx, cancel := context.WithTimeout(ctx, p.engine.cfg.CallTimeout)
	v, err := inst.abiVersion(callCtx)
	if err == nil {
		p.fields, err = inst.inputFields(callCtx)
	}
	cancel()
	if err != nil {
		p.pool.discard(inst)
		return err
	}
	p.pool.put(inst)
	if v != abi.Version {
		return &ErrABIVersion{Got: v}
	}
	for i, tc := range tests {
		name := tc.Name
		if name == "" {
			name = fmt.Sprint("#", i+1)
		}
		want := verdict(abi.Output{Allow: tc.Allow, Code: tc.Code})
		out, err := p.Evaluate(WithDryRun(ctx), &tc.Input)
		if isTimeout(err) {
			// One retry on a fresh instance: a CPU spike on a loaded host must not
			// refuse a good policy, while a guest that loops misses the deadline twice.
			out, err = p.Evaluate(WithDryRun(ctx), &tc.Input)
		}
		if err != nil {
			return &ErrSelfTest{Case: name, Want: want, Err: err}
		}
		if out.Allow != tc.Allow || (tc.Code != "" && out.Code != tc.Code) {
			return &ErrSelfTest{Case: name, Want: want, Got: verdict(out)}
		}
	}
	return nil
}

func verdict(o abi.Output) string {
	if o.Allow {
		return "allow"
	}
	return "deny:" + o.Code
}

// Name returns the policy's name.
func (p *Policy) Name() string { return p.name }

// Version returns the policy's version.
func (p *Policy) Version() int64 { return p.version }

// FailureMode returns what a Chain does when this policy errs.
func (p *Policy) FailureMode() FailureMode { return p.mode }

// Evaluate runs the policy once on in (with in.Config replaced by the policy's
// configuration) under the engine's call deadline.
func (p *Policy) Evaluate(ctx context.Context, in *abi.Input) (abi.Output, error) {
	if !p.retain() {
		return abi.Output{}, ErrClosed
	}
	defer p.Close()
	bp := inputBufs.Get().(*[]byte)
	defer inputBufs.Put(bp)
	withConfig := *in
	withConfig.ABI = abi.Version
	withConfig.Config = p.config
	*bp = abijson.AppendInputFields((*bp)[:0], &withConfig, p.fields)
	return p.call(ctx, *bp)
}

// inputBufs recycles input encoding buffers.
var inputBufs = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// call runs one guest call on a pooled instance, reporting it to the engine's
// counters and observer. An instance that failed in any way is discarded.
func (p *Policy) call(ctx context.Context, input []byte) (abi.Output, error) {
	e := p.engine
	start := time.Now()
	inst, err := p.pool.get(ctx)
	if err == nil {
		callCtx, cancel := context.WithTimeout(context.WithValue(ctx, callStateKey{},
			&callState{policy: p.name, version: p.version}), e.cfg.CallTimeout)
		var out abi.Output
		out, err = inst.call(callCtx, input)
		cancel()
		if err == nil {
			p.pool.put(inst)
			e.counters.calls.Add(1)
			e.cfg.Observer.PolicyEvaluated(ctx, Event{Policy: p.name, Version: p.version, Start: start,
				Duration: time.Since(start), Allow: out.Allow, Code: out.Code})
			return out, nil
		}
		p.pool.discard(inst)
	}
	e.counters.calls.Add(1)
	e.counters.callErrors.Add(1)
	if isTimeout(err) {
		e.counters.timeouts.Add(1)
	}
	err = &PolicyError{Policy: p.name, Version: p.version, Err: err}
	e.cfg.Observer.PolicyEvaluated(ctx, Event{Policy: p.name, Version: p.version, Start: start,
		Duration: time.Since(start), Err: err})
	return abi.Output{}, err
}

func (p *Policy) retain() bool {
	for {
		n := p.refs.Load()
		if n <= 0 {
			return false
		}
		if p.refs.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// Close drops one reference; the last one closes the instances and compiled module.
func (p *Policy) Close() {
	if p.refs.Add(-1) == 0 {
		p.once.Do(func() {
			p.pool.close()
			_ = p.compiled.Close(context.Background())
		})
	}
}
