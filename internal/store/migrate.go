package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrationFiles holds one directory of NNNN_name.sql files per dialect. A file
// is applied once, in order, inside the same transaction as its
// schema_migrations row; never edit a released file, add a new one.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change.
type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads and orders the dialect's migration files.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	out := make([]migration, 0, len(names))
	for _, name := range names {
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migrations: bad file name %q", name)
		}
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		out = append(out, migration{version: v, name: name, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("store: migrations: duplicate version %d", out[i].version)
		}
	}
	return out, nil
}

// Migrate applies the pending embedded migrations in one transaction. It is
// idempotent and safe to call from several processes at once: PostgreSQL takes an
// advisory lock, SQLite an IMMEDIATE write lock.
func (s *sqlStore) Migrate(ctx context.Context) error {
	ms, err := loadMigrations(s.d.migrations)
	if err != nil {
		return err
	}
	return s.migrate(ctx, ms)
}

// migrate applies those of ms not applied yet.
func (s *sqlStore) migrate(ctx context.Context, ms []migration) error {
	return s.inTx(ctx, func(c conn) error {
		c.stmts = nil // schema statements run once: not worth a prepared statement
		if s.d.migrateLock != "" {
			if _, err := c.exec(ctx, s.d.migrateLock); err != nil {
				return s.d.wrap(err, "migrate: lock")
			}
		}
		if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY,
			name TEXT NOT NULL,
			applied_at BIGINT NOT NULL)`); err != nil {
			return s.d.wrap(err, "migrate: schema_migrations")
		}
		applied, err := appliedVersions(ctx, c)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := c.exec(ctx, m.sql); err != nil {
				return s.d.wrap(err, "migrate: "+m.name)
			}
			if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, s.now().UnixMicro()); err != nil {
				return s.d.wrap(err, "migrate: record "+m.name)
			}
		}
		return nil
	})
}

func appliedVersions(ctx context.Context, c conn) (map[int64]bool, error) {
	rows, err := c.query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, c.d.wrap(err, "migrate: read versions")
	}
	defer rows.Close()
	applied := map[int64]bool{}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, c.d.wrap(err, "migrate: read versions")
		}
		applied[v] = true
	}
	return applied, c.d.wrap(rows.Err(), "migrate: read versions")
}
