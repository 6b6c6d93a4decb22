package tenant

import (
	"strconv"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// DefaultCapPolicy names the grain's own concurrency cap in a denial, where a
// policy's name would stand.
const DefaultCapPolicy = "key-default-concurrency"

// overDefaultCap refuses an admission of a key without its own concurrency limit
// when the key already has DefaultConcurrency requests in flight or waiting to be
// decided. The refusal comes before the admission queue and the policies: a burst
// beyond the cap costs one answer each, and the requests admitted are decided as
// before (an explicit limit is the rate-limit policy's to apply). A dry run, which
// holds no slot, is never refused here.
func (g *grain) overDefaultCap(req *messages.AdmitRequest, in *abi.Input) *messages.AdmitReply {
	limit := g.d.DefaultConcurrency
	if limit <= 0 || req.DryRun || in.Key.MaxConcurrentRequests > 0 {
		return nil
	}
	n := len(g.holds)
	if g.deciding != nil && !g.deciding.DryRun {
		n++
	}
	for _, w := range g.queue {
		if !w.req.DryRun {
			n++
		}
	}
	if n < limit {
		return nil
	}
	return &messages.AdmitReply{Code: abi.CodeConcurrencyLimit, RetryAfterS: 1, Policy: DefaultCapPolicy,
		Reason: "concurrent requests limit reached: " + strconv.Itoa(n) + " of " + strconv.Itoa(limit) +
			" (the gateway's default for keys without a limit of their own)"}
}
