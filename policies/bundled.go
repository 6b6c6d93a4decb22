package policies

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/ccgateway/ccgateway/internal/models"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// Built by scripts/build-plugins.sh from plugins/; a test checks they are fresh.
// Only the policies of the default chain are embedded in the binary: the example
// policy's module (bundled/timewindow.wasm) is built beside them for tests and
// docs, and reaches a gateway only by upload.
//
//go:embed bundled/ratelimit.wasm bundled/permissions.wasm
var bundledFS embed.FS

// Names of the bundled policies.
const (
	RateLimit   = "ratelimit"
	Permissions = "permissions"
	TimeWindow  = "timewindow" // the example policy: not in DefaultChain, not embedded
)

// DefaultPermissionsConfig is the bundled permissions policy's default
// configuration: the aliases of the default model catalogue, and refusing
// oversize max_tokens.
var DefaultPermissionsConfig = func() json.RawMessage {
	b, err := json.Marshal(struct {
		Aliases       map[string]string `json:"aliases"`
		MaxTokensMode string            `json:"max_tokens_mode"`
	}{models.Aliases(), "refuse"})
	if err != nil {
		panic(err) // a map of strings always marshals
	}
	return b
}()

// BundledWasm returns the module of a bundled policy by name.
func BundledWasm(name string) ([]byte, error) {
	b, err := bundledFS.ReadFile("bundled/" + name + ".wasm")
	if err != nil {
		return nil, fmt.Errorf("policies: no bundled policy %q", name)
	}
	return b, nil
}

// BundledSpecs returns the specs of the default chain, ratelimit then permissions,
// at version 0, failing closed, with a few self-tests each. Callers may change
// Config or FailureMode before LoadChain.
func BundledSpecs() ([]Spec, error) {
	rl, err := BundledWasm(RateLimit)
	if err != nil {
		return nil, err
	}
	pm, err := BundledWasm(Permissions)
	if err != nil {
		return nil, err
	}
	limited := abi.Key{UsageLimit: abi.UsageLimit{RequestsPerMinute: 1}}
	restricted := abi.Key{Permissions: abi.Permissions{Models: []string{models.Default}}}
	return []Spec{
		{Name: RateLimit, Wasm: rl, Tests: []TestCase{
			{Name: "unlimited key", Allow: true},
			{Name: "minute limit", Input: abi.Input{Key: limited, Counters: abi.Counters{RequestsLastMinute: 1}},
				Code: abi.CodeRateLimitMinute},
		}},
		{Name: Permissions, Wasm: pm, Config: DefaultPermissionsConfig, Tests: []TestCase{
			{Name: "alias", Input: abi.Input{Key: restricted, Request: abi.Request{Model: "sonnet"}}, Allow: true},
			{Name: "other model", Input: abi.Input{Key: restricted, Request: abi.Request{Model: "opus"}},
				Code: abi.CodeModelNotAllowed},
		}},
	}, nil
}

// DefaultChain loads the bundled ratelimit and permissions policies into a chain.
func DefaultChain(ctx context.Context, e *Engine) (*Chain, error) {
	specs, err := BundledSpecs()
	if err != nil {
		return nil, err
	}
	return LoadChain(ctx, e, specs...)
}
