package policyset

import (
	"context"
	"fmt"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// DryRun evaluates one version of name on in without counting anything (the
// evaluation is marked policies.WithDryRun, which the metrics leave out): version 0
// means the version in the active chain (the bundled one for a bundled name without
// a stored active version). The policy's failure mode applies as in the chain, so a
// failing fail-closed policy gives a policy_error deny together with the error.
func (m *Manager) DryRun(ctx context.Context, name string, version int64, in *abi.Input) (policies.Decision, int64, error) {
	spec, err := m.spec(ctx, name, version)
	if err != nil {
		return policies.Decision{}, 0, err
	}
	spec.Tests = nil // checked when the version was stored
	p, err := m.engine.Load(ctx, spec)
	if err != nil {
		return policies.Decision{}, 0, err
	}
	defer p.Close()
	chain, err := policies.NewChain(m.engine, p)
	if err != nil {
		return policies.Decision{}, 0, err
	}
	defer chain.Close()
	d, err := chain.Evaluate(policies.WithDryRun(ctx), in)
	return d, spec.Version, err
}

// spec finds the Spec of name at version (0: the active one).
func (m *Manager) spec(ctx context.Context, name string, version int64) (policies.Spec, error) {
	if version > 0 {
		pv, err := m.st.GetPolicyVersion(ctx, name, version)
		if err != nil {
			return policies.Spec{}, fmt.Errorf("policyset: %w", err)
		}
		return SpecOf(pv)
	}
	active, err := m.st.ListActivePolicies(ctx)
	if err != nil {
		return policies.Spec{}, fmt.Errorf("policyset: %w", err)
	}
	for _, pv := range active {
		if pv.Name == name {
			return SpecOf(pv)
		}
	}
	bundled, err := policies.BundledSpecs()
	if err != nil {
		return policies.Spec{}, err
	}
	for _, b := range bundled {
		if b.Name == name {
			if b.Name == policies.Permissions {
				b = m.permissions(b)
			}
			return b, nil
		}
	}
	return policies.Spec{}, fmt.Errorf("policyset: policy %s is not active: %w", name, store.ErrNotFound)
}
