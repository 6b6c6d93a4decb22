package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// sqlStore is the one Store implementation, shared by SQLite and PostgreSQL through
// database/sql; the dialect holds what differs.
type sqlStore struct {
	d *dialect
	// w runs writes and transactions. For SQLite it has a single connection, so
	// writers queue in Go instead of failing with SQLITE_BUSY.
	w *sql.DB
	// r runs plain reads. For SQLite it is a separate read-only pool, which WAL
	// lets run alongside the writer; for PostgreSQL it is w.
	r *sql.DB
	// wc and rc prepare the statements run on w and r (nil for PostgreSQL).
	wc, rc *stmtCache
	// now is the store's clock; tests of expiry never need to fake it because
	// every expiry input is an argument.
	now func() time.Time
}

var _ Store = (*sqlStore)(nil)

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs shared "?" SQL on a querier after rebinding it for the dialect,
// through the pool's prepared statement when it has one.
type conn struct {
	q     querier
	d     *dialect
	tx    *sql.Tx    // set when q is a transaction
	stmts *stmtCache // the pool's statements; nil = run unprepared
}

// stmt returns q's prepared statement, bound to the transaction when there is
// one, or nil.
func (c conn) stmt(ctx context.Context, q string) *sql.Stmt {
	st := c.stmts.get(ctx, q, c.tx != nil)
	if st == nil || c.tx == nil {
		return st
	}
	return c.tx.StmtContext(ctx, st)
}

func (c conn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = c.d.rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, q, args...)
}

func (c conn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = c.d.rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, q, args...)
}

func (c conn) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	q = c.d.rebind(q)
	if st := c.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, q, args...)
}

// execOne runs a statement that must touch at least one row; otherwise it reports
// ErrNotFound for what.
func (c conn) execOne(ctx context.Context, what string, q string, args ...any) error {
	res, err := c.exec(ctx, q, args...)
	if err != nil {
		return c.d.wrap(err, what)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return c.d.wrap(err, what)
	}
	if n == 0 {
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	}
	return nil
}

func (s *sqlStore) rd() conn { return conn{q: s.r, d: s.d, stmts: s.rc} }
func (s *sqlStore) wr() conn { return conn{q: s.w, d: s.d, stmts: s.wc} }

// inTx runs fn in a write transaction, committing when fn returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(c conn) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(conn{q: tx, d: s.d, tx: tx, stmts: s.wc}); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.d.wrap(err, "commit")
	}
	return nil
}

// wrap prefixes err with the operation and maps constraint violations onto the
// package's sentinel errors. sql.ErrNoRows becomes ErrNotFound.
func (d *dialect) wrap(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrLeaseHeld):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: %s: %w", what, ErrNotFound)
	case d.isUnique(err):
		return fmt.Errorf("store: %s: %w: %v", what, ErrConflict, err)
	case d.isForeignKey(err):
		return fmt.Errorf("store: %s: referenced row: %w: %v", what, ErrNotFound, err)
	}
	return fmt.Errorf("store: %s: %w", what, err)
}

// stamp normalizes a time to what the store keeps: UTC with microsecond precision,
// and now when t is zero.
func (s *sqlStore) stamp(t time.Time) time.Time {
	if t.IsZero() {
		t = s.now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nowUTC is the store's current time as stored.
func (s *sqlStore) nowUTC() time.Time { return s.stamp(time.Time{}) }

// stampPtr is stamp for optional times, keeping nil as nil.
func stampPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// timeCol scans either dialect's time representation into a UTC time.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(x).UTC()
	case time.Time:
		*c.t = x.UTC()
	default:
		return fmt.Errorf("store: cannot scan %T into a time", v)
	}
	return nil
}

// nullTimeCol scans a nullable time column into a *time.Time.
type nullTimeCol struct{ t **time.Time }

func (c nullTimeCol) Scan(v any) error {
	if v == nil {
		*c.t = nil
		return nil
	}
	var t time.Time
	if err := (timeCol{t: &t}).Scan(v); err != nil {
		return err
	}
	*c.t = &t
	return nil
}

// jsonCol scans a JSON text column into v; NULL and "" leave v untouched.
type jsonCol struct{ v any }

func (c jsonCol) Scan(src any) error {
	var b []byte
	switch x := src.(type) {
	case nil:
		return nil
	case string:
		b = []byte(x)
	case []byte:
		b = x
	default:
		return fmt.Errorf("store: cannot scan %T as JSON", src)
	}
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, c.v)
}

// jsonArg encodes v as JSON text for a column.
func jsonArg(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("store: encode json: %w", err)
	}
	return string(b), nil
}

// nullString stores "" as NULL, for optional unique or indexed columns.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// stringCol scans a nullable text column into a string ("" for NULL).
type stringCol struct{ s *string }

func (c stringCol) Scan(v any) error {
	var ns sql.NullString
	if err := ns.Scan(v); err != nil {
		return err
	}
	*c.s = ns.String
	return nil
}

// limitOr returns limit, or def when limit is not positive.
func limitOr(limit, def int) int {
	if limit <= 0 {
		return def
	}
	return limit
}
