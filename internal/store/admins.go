package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// UpsertAdmin creates the admin named a.Username or replaces its password hash,
// in one statement. A replaced password also bumps the token version, so tokens
// issued before the reset stop working. It sets a.ID, a.CreatedAt, a.UpdatedAt and
// a.TokenVersion from the stored row.
func (s *sqlStore) UpsertAdmin(ctx context.Context, a *Admin) error {
	if a.Username == "" {
		return fmt.Errorf("store: upsert admin: empty username")
	}
	if a.ID == "" {
		a.ID = uuid.NewString()
	}
	now := s.nowUTC()
	created := s.stamp(a.CreatedAt)
	err := s.wr().queryRow(ctx, `INSERT INTO admins (id, username, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at,
			token_version = admins.token_version + 1
		RETURNING id, created_at, updated_at, token_version`,
		a.ID, a.Username, a.PasswordHash, s.d.timeArg(created), s.d.timeArg(now),
	).Scan(&a.ID, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.TokenVersion)
	return s.d.wrap(err, "upsert admin")
}

// GetAdminByUsername returns the admin or ErrNotFound.
func (s *sqlStore) GetAdminByUsername(ctx context.Context, username string) (*Admin, error) {
	a := &Admin{}
	err := s.rd().queryRow(ctx, `SELECT id, username, password_hash, created_at, updated_at, token_version
		FROM admins WHERE username = ?`, username,
	).Scan(&a.ID, &a.Username, &a.PasswordHash, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, &a.TokenVersion)
	if err != nil {
		return nil, s.d.wrap(err, "get admin "+username)
	}
	return a, nil
}

// RevokeAdminTokens bumps the admin's token version, so every token issued to it
// so far stops working, and returns the new version; ErrNotFound when there is no
// such admin.
func (s *sqlStore) RevokeAdminTokens(ctx context.Context, username string) (int64, error) {
	var v int64
	err := s.wr().queryRow(ctx, `UPDATE admins SET token_version = token_version + 1, updated_at = ?
		WHERE username = ? RETURNING token_version`, s.d.timeArg(s.nowUTC()), username).Scan(&v)
	if err != nil {
		return 0, s.d.wrap(err, "revoke admin tokens "+username)
	}
	return v, nil
}
