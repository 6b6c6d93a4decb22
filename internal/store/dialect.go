package store

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds the few things that differ between SQLite and PostgreSQL; all SQL
// is otherwise shared and written with "?" placeholders.
type dialect struct {
	name string
	// numbered placeholders ($1, $2, ...) instead of "?".
	numbered bool
	// migrations holds the dialect's NNNN_name.sql files at its root.
	migrations fs.FS
	// migrateLock, when set, runs first in the migration transaction so that
	// concurrent Migrate calls from several nodes apply each migration once.
	migrateLock string
	// timeArg converts a time into the value stored in a time column.
	timeArg func(time.Time) any
	// isUnique and isForeignKey classify driver errors.
	isUnique     func(error) bool
	isForeignKey func(error) bool
}

// sqliteDialect stores times as INTEGER microseconds since the Unix epoch, which
// keeps comparisons exact and indexes compact.
func sqliteDialect() *dialect {
	return &dialect{
		name:       "sqlite",
		migrations: mustSub(migrationFiles, "migrations/sqlite"),
		timeArg:    func(t time.Time) any { return t.UnixMicro() },
		isUnique: func(err error) bool {
			code := sqliteCode(err)
			return code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
		},
		isForeignKey: func(err error) bool {
			return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
		},
	}
}

// postgresDialect stores times as TIMESTAMPTZ (microsecond precision).
func postgresDialect() *dialect {
	return &dialect{
		name:        "postgres",
		numbered:    true,
		migrations:  mustSub(migrationFiles, "migrations/postgres"),
		migrateLock: "SELECT pg_advisory_xact_lock(7263541098)",
		timeArg:     func(t time.Time) any { return t.UTC().Truncate(time.Microsecond) },
		isUnique:    func(err error) bool { return pgCode(err) == "23505" },
		isForeignKey: func(err error) bool {
			return pgCode(err) == "23503"
		},
	}
}

func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// rebind rewrites "?" placeholders into the dialect's form. Shared queries never
// contain a literal question mark, so no quoting rules are needed.
func (d *dialect) rebind(q string) string {
	if !d.numbered || !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// nullTime converts an optional time into a column value.
func (d *dialect) nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return d.timeArg(*t)
}

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
