package policyset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
)

// namePattern is what a policy name may look like.
var namePattern = regexp.MustCompile(`^[a-z][a-z0-9_-]{0,63}$`)

// Upload is a new policy version.
type Upload struct {
	Name        string
	Wasm        []byte
	Config      json.RawMessage // the policy's own configuration; may be empty
	FailureMode string          // FailClosed (default) or FailOpen
	Tests       []policies.TestCase
	Activate    bool
	CreatedBy   string
}

// Validate loads u as an upload would be, with its self-tests, and unloads it. The
// error names what failed: *policies.ErrForbiddenImport, *policies.ErrMissingExport,
// *policies.ErrABIVersion, *policies.ErrSelfTest, or ErrInvalid.
func (m *Manager) Validate(ctx context.Context, u *Upload) error {
	if !namePattern.MatchString(u.Name) {
		return fmt.Errorf("%w: name %q must be 1-64 of a-z, 0-9, - and _, starting with a letter", ErrInvalid, u.Name)
	}
	if len(u.Config) > 0 && !json.Valid(u.Config) {
		return fmt.Errorf("%w: config is not valid JSON", ErrInvalid)
	}
	mode, err := parseMode(u.FailureMode)
	if err != nil {
		return err
	}
	p, err := m.engine.Load(ctx, policies.Spec{Name: u.Name, Wasm: u.Wasm, Config: u.Config, FailureMode: mode, Tests: u.Tests})
	if err != nil {
		if typedLoadError(err) {
			return err
		}
		return fmt.Errorf("%w: %v", ErrInvalid, strings.TrimPrefix(err.Error(), "policies: "))
	}
	p.Close()
	return nil
}

// typedLoadError reports whether err already names what failed.
func typedLoadError(err error) bool {
	var fi *policies.ErrForbiddenImport
	var me *policies.ErrMissingExport
	var av *policies.ErrABIVersion
	var st *policies.ErrSelfTest
	return errors.As(err, &fi) || errors.As(err, &me) || errors.As(err, &av) || errors.As(err, &st)
}

// Create validates u, stores it as the next version of its name and, when
// u.Activate is set, makes it active in the chain.
func (m *Manager) Create(ctx context.Context, u *Upload) (*store.PolicyVersion, error) {
	if err := m.Validate(ctx, u); err != nil {
		return nil, err
	}
	tests, err := json.Marshal(u.Tests)
	if err != nil {
		return nil, fmt.Errorf("%w: tests: %v", ErrInvalid, err)
	}
	mode := u.FailureMode
	if mode == "" {
		mode = FailClosed
	}
	pv := &store.PolicyVersion{Name: u.Name, Wasm: u.Wasm, Config: string(u.Config), Tests: string(tests),
		FailureMode: mode, CreatedBy: u.CreatedBy}
	// Stored inactive first, so the chain is built with the version's real number.
	if err := m.st.CreatePolicyVersion(ctx, pv); err != nil {
		return nil, fmt.Errorf("policyset: %w", err)
	}
	if !u.Activate {
		return pv, nil
	}
	return m.Activate(ctx, pv.Name, pv.Version)
}

// Activate makes version the active version of name.
func (m *Manager) Activate(ctx context.Context, name string, version int64) (*store.PolicyVersion, error) {
	pv, err := m.st.GetPolicyVersion(ctx, name, version)
	if err != nil {
		return nil, fmt.Errorf("policyset: %w", err)
	}
	err = m.change(ctx, func(active map[string]*store.PolicyVersion) { active[name] = pv },
		func() error { return m.st.ActivatePolicyVersion(ctx, name, version) })
	if err != nil {
		return nil, err
	}
	pv.Active = true
	return pv, nil
}

// Rollback activates the version before name's active one. When the active one is
// the first, name leaves the chain (a bundled policy's own version serves again);
// then it returns nil.
func (m *Manager) Rollback(ctx context.Context, name string) (*store.PolicyVersion, error) {
	versions, err := m.st.ListPolicyVersions(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("policyset: %w", err)
	}
	if len(versions) == 0 {
		return nil, fmt.Errorf("policyset: policy %s: %w", name, store.ErrNotFound)
	}
	var prev *store.PolicyVersion
	for i, v := range versions { // oldest first
		if v.Active {
			if i > 0 {
				prev = versions[i-1]
			}
			if prev == nil {
				return nil, m.Deactivate(ctx, name)
			}
			return m.Activate(ctx, name, prev.Version)
		}
	}
	return nil, fmt.Errorf("%w: %s", ErrNoActive, name)
}

// Deactivate takes name out of the chain, keeping its versions.
func (m *Manager) Deactivate(ctx context.Context, name string) error {
	return m.change(ctx, func(active map[string]*store.PolicyVersion) { delete(active, name) },
		func() error { return m.st.DeactivatePolicy(ctx, name) })
}

// Delete removes every stored version of name and takes it out of the chain.
func (m *Manager) Delete(ctx context.Context, name string) error {
	return m.change(ctx, func(active map[string]*store.PolicyVersion) { delete(active, name) },
		func() error { return m.st.DeletePolicy(ctx, name) })
}

// change applies edit to the stored active set, builds and checks the chain it
// makes, then runs commit (the store write) and swaps the chain in.
func (m *Manager) change(ctx context.Context, edit func(map[string]*store.PolicyVersion), commit func() error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	list, err := m.st.ListActivePolicies(ctx)
	if err != nil {
		return fmt.Errorf("policyset: %w", err)
	}
	active := map[string]*store.PolicyVersion{}
	for _, p := range list {
		active[p.Name] = p
	}
	edit(active)
	next := make([]*store.PolicyVersion, 0, len(active))
	for _, p := range active {
		next = append(next, p)
	}
	chain, entries, err := m.build(ctx, next)
	if err != nil {
		return err
	}
	if err := commit(); err != nil {
		chain.Close()
		return fmt.Errorf("policyset: %w", err)
	}
	m.reg.Swap(chain)
	m.current = entries
	if m.onChange != nil {
		go m.onChange() // tells the other nodes; never holds up the change
	}
	return nil
}
