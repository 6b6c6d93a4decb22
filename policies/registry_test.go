package policies

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/policies/abi"
)

func TestRegistryHotSwap(t *testing.T) {
	// This test is about swapping, not deadlines: -race on a busy 2-core machine can
	// stretch a call past the default 50ms.
	e := newTestEngine(t, Config{CallTimeout: 5 * time.Second})
	ctx := context.Background()
	first, err := DefaultChain(ctx, e)
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry(first)

	var (
		wg        sync.WaitGroup
		stop      atomic.Bool
		calls     atomic.Int64
		failures  atomic.Int64
		firstFail atomic.Value
	)
	in := abi.Input{Key: abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 10}}, Request: abi.Request{Model: "sonnet"}}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				d, err := reg.Evaluate(ctx, &in)
				calls.Add(1)
				if err != nil || !d.Allow {
					failures.Add(1)
					firstFail.CompareAndSwap(nil, err)
				}
			}
		}()
	}

	var old []*Chain
	for v := int64(1); v <= 5; v++ {
		specs, err := BundledSpecs()
		if err != nil {
			t.Fatal(err)
		}
		for i := range specs {
			specs[i].Version = v
		}
		next, err := LoadChain(ctx, e, specs...)
		if err != nil {
			t.Fatal(err)
		}
		c, release, err := reg.Acquire()
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, c)
		release()
		reg.Swap(next)
		time.Sleep(20 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Fatalf("%d of %d calls failed, first: %v", n, calls.Load(), firstFail.Load())
	}
	t.Logf("%d calls across 5 swaps", calls.Load())
	for _, c := range old {
		if c.refs.Load() != 0 {
			t.Fatalf("a swapped-out chain still has %d references", c.refs.Load())
		}
		for _, p := range c.policies {
			if p.refs.Load() != 0 || !p.pool.isClosed() {
				t.Fatalf("policy %s v%d of a swapped-out chain is still open", p.name, p.version)
			}
		}
	}
	c, release, err := reg.Acquire()
	if err != nil || c.policies[0].version != 5 {
		t.Fatalf("active chain %v, %v; want version 5", c, err)
	}
	release()
	reg.Close()
	if _, err := reg.Evaluate(ctx, &in); !errors.Is(err, ErrNoChain) {
		t.Fatalf("after Close: %v, want ErrNoChain", err)
	}
	if _, err := c.Evaluate(ctx, &in); !errors.Is(err, ErrClosed) {
		t.Fatalf("closed chain: %v, want ErrClosed", err)
	}
}
