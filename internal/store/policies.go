package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

const policyColumns = `name, version, wasm, sha256, config, tests, failure_mode, active, created_at, created_by`

// policyVersionAttempts bounds retries when concurrent uploads of one policy race
// for the same version number.
const policyVersionAttempts = 10

func scanPolicy(row rowScanner) (*PolicyVersion, error) {
	p := &PolicyVersion{}
	err := row.Scan(&p.Name, &p.Version, &p.Wasm, &p.SHA256, &p.Config, &p.Tests, &p.FailureMode, &p.Active,
		timeCol{&p.CreatedAt}, &p.CreatedBy)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// CreatePolicyVersion stores p as the next version of p.Name (1, 2, ...) and sets
// p.Version, p.CreatedAt and, when empty, p.SHA256. When p.Active is set the new
// version becomes the only active one.
func (s *sqlStore) CreatePolicyVersion(ctx context.Context, p *PolicyVersion) error {
	if p.Name == "" {
		return fmt.Errorf("store: create policy version: empty name")
	}
	if p.SHA256 == "" {
		sum := sha256.Sum256(p.Wasm)
		p.SHA256 = hex.EncodeToString(sum[:])
	}
	p.CreatedAt = s.stamp(p.CreatedAt)
	wasm := p.Wasm
	if wasm == nil {
		wasm = []byte{}
	}
	var err error
	for range policyVersionAttempts {
		err = s.inTx(ctx, func(c conn) error {
			what := "create policy version " + p.Name
			if err := c.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM policies WHERE name = ?`,
				p.Name).Scan(&p.Version); err != nil {
				return c.d.wrap(err, what)
			}
			if _, err := c.exec(ctx, `INSERT INTO policies (`+policyColumns+`)
				VALUES (?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)`,
				p.Name, p.Version, wasm, p.SHA256, p.Config, p.Tests, p.FailureMode, s.d.timeArg(p.CreatedAt), p.CreatedBy,
			); err != nil {
				return c.d.wrap(err, what)
			}
			if p.Active {
				return activate(ctx, c, p.Name, p.Version)
			}
			return nil
		})
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
	return err
}

// ListPolicyVersions returns every version of name, oldest first, with its Wasm;
// an unknown name gives an empty list.
func (s *sqlStore) ListPolicyVersions(ctx context.Context, name string) ([]*PolicyVersion, error) {
	return s.listPolicies(ctx, `WHERE name = ? ORDER BY version`, name)
}

// ListActivePolicies returns the active version of every policy, by name.
func (s *sqlStore) ListActivePolicies(ctx context.Context) ([]*PolicyVersion, error) {
	return s.listPolicies(ctx, `WHERE active = TRUE ORDER BY name`)
}

// ListPolicyNames returns the distinct names of stored policies, sorted.
func (s *sqlStore) ListPolicyNames(ctx context.Context) ([]string, error) {
	rows, err := s.rd().query(ctx, `SELECT DISTINCT name FROM policies ORDER BY name`)
	if err != nil {
		return nil, s.d.wrap(err, "list policy names")
	}
	names, err := collect(rows, func(r rowScanner) (string, error) {
		var n string
		return n, r.Scan(&n)
	})
	return names, s.d.wrap(err, "list policy names")
}

func (s *sqlStore) listPolicies(ctx context.Context, tail string, args ...any) ([]*PolicyVersion, error) {
	rows, err := s.rd().query(ctx, `SELECT `+policyColumns+` FROM policies `+tail, args...)
	if err != nil {
		return nil, s.d.wrap(err, "list policies")
	}
	ps, err := collect(rows, scanPolicy)
	return ps, s.d.wrap(err, "list policies")
}

// GetPolicyVersion returns one version or ErrNotFound.
func (s *sqlStore) GetPolicyVersion(ctx context.Context, name string, version int64) (*PolicyVersion, error) {
	p, err := scanPolicy(s.rd().queryRow(ctx, `SELECT `+policyColumns+` FROM policies
		WHERE name = ? AND version = ?`, name, version))
	if err != nil {
		return nil, s.d.wrap(err, fmt.Sprintf("get policy %s v%d", name, version))
	}
	return p, nil
}

// ActivatePolicyVersion makes version the only active version of name.
func (s *sqlStore) ActivatePolicyVersion(ctx context.Context, name string, version int64) error {
	return s.inTx(ctx, func(c conn) error { return activate(ctx, c, name, version) })
}

// activate deactivates name's versions, then activates version; two statements
// because a unique index allows one active version per name at every row.
func activate(ctx context.Context, c conn, name string, version int64) error {
	what := fmt.Sprintf("activate policy %s v%d", name, version)
	if _, err := c.exec(ctx, `UPDATE policies SET active = FALSE WHERE name = ? AND active = TRUE`, name); err != nil {
		return c.d.wrap(err, what)
	}
	return c.execOne(ctx, what, `UPDATE policies SET active = TRUE WHERE name = ? AND version = ?`, name, version)
}

// DeactivatePolicy leaves name with no active version; ErrNotFound when name has
// no versions at all.
func (s *sqlStore) DeactivatePolicy(ctx context.Context, name string) error {
	return s.inTx(ctx, func(c conn) error {
		if _, err := c.exec(ctx, `UPDATE policies SET active = FALSE WHERE name = ? AND active = TRUE`, name); err != nil {
			return c.d.wrap(err, "deactivate policy "+name)
		}
		var n int
		if err := c.queryRow(ctx, `SELECT COUNT(*) FROM policies WHERE name = ?`, name).Scan(&n); err != nil {
			return c.d.wrap(err, "deactivate policy "+name)
		}
		if n == 0 {
			return fmt.Errorf("store: deactivate policy %s: %w", name, ErrNotFound)
		}
		return nil
	})
}

// DeletePolicy removes every version of name; ErrNotFound when there is none.
func (s *sqlStore) DeletePolicy(ctx context.Context, name string) error {
	return s.wr().execOne(ctx, "delete policy "+name, `DELETE FROM policies WHERE name = ?`, name)
}
