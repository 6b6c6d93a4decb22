package policies_test

import (
	"context"
	"fmt"

	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// A gateway loads the bundled chain into a Registry once and asks it for every
// request; an admin's upload later replaces the chain with Registry.Swap.
func ExampleRegistry() {
	ctx := context.Background()
	engine, err := policies.NewEngine(ctx, policies.Config{})
	if err != nil {
		panic(err)
	}
	defer engine.Close(ctx)
	chain, err := policies.DefaultChain(ctx, engine)
	if err != nil {
		panic(err)
	}
	reg := policies.NewRegistry(chain)
	defer reg.Close()

	d, err := reg.Evaluate(ctx, &abi.Input{
		Key:      abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 10}},
		Counters: abi.Counters{RequestsLastMinute: 10},
		NowMS:    1_699_963_230_000, // 12:00:30 UTC
	})
	fmt.Println(d.Allow, d.Code, d.Policy, d.RetryAfterS, err)
	// Output: false rate_limit_minute ratelimit 30 <nil>
}
