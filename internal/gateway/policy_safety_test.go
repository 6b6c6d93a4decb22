package gateway

import (
	"net/http"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestMisbehavingPolicyFollowsItsFailureMode uploads a policy that loops, traps or
// over-allocates depending on the key: each is cut (deadline, trap, memory cap), the
// request follows the failure mode (closed: 503 policy_error; open: skipped), failed
// instances are replaced, and the gateway goes on serving.
func TestMisbehavingPolicyFollowsItsFailureMode(t *testing.T) {
	g := newGateway(t, withPolicies())
	wasm := buildGuest(t, "misbehave")
	keys := map[string]string{}
	for _, mode := range []string{"loop", "trap", "alloc", "fine"} {
		keys[mode], _ = g.newKey(store.KeyActive, func(k *store.APIKey) { k.Metadata.UserID = mode })
	}
	upload := func(mode string) {
		t.Helper()
		resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{Name: "misbehave", Wasm: wasm, FailureMode: mode, Activate: true})
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload: %d %s", resp.StatusCode, b)
		}
	}
	upload("closed")
	before := g.node().Policies().Engine().Counters()
	for _, mode := range []string{"loop", "trap", "trap", "alloc"} {
		start := time.Now()
		st, p := g.admitOnly(t, keys[mode], api.ChatRequest{})
		if st != http.StatusServiceUnavailable || p.Code != api.CodePolicyError {
			t.Fatalf("%s, fail closed: %d %q, want 503 policy_error", mode, st, p.Code)
		}
		if took := time.Since(start); mode == "loop" && took > 2*time.Second {
			t.Errorf("the looping policy held the request %v; the deadline is %v", took, g.cfg.PolicyCallTimeout)
		}
	}
	after := g.node().Policies().Engine().Counters()
	if after.Timeouts-before.Timeouts < 1 || after.InstancesDiscarded-before.InstancesDiscarded < 4 {
		t.Errorf("engine counters before %+v after %+v: want a timeout and 4 discarded instances", before, after)
	}
	if st, p := g.admitOnly(t, keys["fine"], api.ChatRequest{}); st != http.StatusNotFound {
		t.Fatalf("a well-behaved request after the failures: %d %+v", st, p)
	}
	upload("open")
	for _, mode := range []string{"loop", "trap", "alloc"} {
		if st, p := g.admitOnly(t, keys[mode], api.ChatRequest{}); st != http.StatusNotFound {
			t.Fatalf("%s, fail open: %d %+v, want the policy skipped", mode, st, p)
		}
	}
}
