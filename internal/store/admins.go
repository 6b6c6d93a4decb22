package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// UpsertAdmin creates the admin named a.Username or replaces its password hash,
// in one statement. It sets a.ID and a.CreatedAt from the stored row.
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
		ON CONFLICT (username) DO UPDATE SET password_hash = excluded.password_hash, updated_at = excluded.updated_at
		RETURNING id, created_at, updated_at`,
		a.ID, a.Username, a.PasswordHash, s.d.timeArg(created), s.d.timeArg(now),
	).Scan(&a.ID, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	return s.d.wrap(err, "upsert admin")
}

// GetAdminByUsername returns the admin or ErrNotFound.
func (s *sqlStore) GetAdminByUsername(ctx context.Context, username string) (*Admin, error) {
	a := &Admin{}
	err := s.rd().queryRow(ctx, `SELECT id, username, password_hash, created_at, updated_at
		FROM admins WHERE username = ?`, username,
	).Scan(&a.ID, &a.Username, &a.PasswordHash, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	if err != nil {
		return nil, s.d.wrap(err, "get admin "+username)
	}
	return a, nil
}
