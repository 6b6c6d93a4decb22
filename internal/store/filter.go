package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// where accumulates AND-ed conditions and their arguments for list queries.
type where struct {
	conds []string
	args  []any
}

// add appends a condition with its "?" arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds col = v unless v is empty, the filters' "any" value.
func (w *where) eq(col, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

// timeRange adds from <= col < to for whichever bound is set.
func (w *where) timeRange(d *dialect, col string, from, to time.Time) {
	if !from.IsZero() {
		w.add(col+" >= ?", d.timeArg(from))
	}
	if !to.IsZero() {
		w.add(col+" < ?", d.timeArg(to))
	}
}

// sql renders the WHERE clause, or "" without conditions.
func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// page returns the arguments followed by LIMIT and OFFSET values.
func (w *where) page(limit, offset int) []any {
	return append(append([]any(nil), w.args...), limit, max(offset, 0))
}

// likePattern lowercases s and escapes LIKE wildcards for a substring match.
func likePattern(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(strings.ToLower(s)) + "%"
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface{ Scan(...any) error }

// listPage runs a list query on table: the total of rows matching w, then one
// page of columns in order, scanned with scan.
func listPage[T any](ctx context.Context, s *sqlStore, what, table, columns string, w where, order string,
	limit, offset int, scan func(rowScanner) (T, error)) ([]T, int, error) {
	var total int
	err := s.rd().queryRow(ctx, `SELECT COUNT(*) FROM `+table+w.sql(), w.args...).Scan(&total)
	if err != nil {
		return nil, 0, s.d.wrap(err, what)
	}
	rows, err := s.rd().query(ctx, `SELECT `+columns+` FROM `+table+w.sql()+` ORDER BY `+order+` LIMIT ? OFFSET ?`, w.page(limit, offset)...)
	if err != nil {
		return nil, 0, s.d.wrap(err, what)
	}
	items, err := collect(rows, scan)
	if err != nil {
		return nil, 0, s.d.wrap(err, what)
	}
	return items, total, nil
}

// collect scans every row with scan and closes rows.
func collect[T any](rows *sql.Rows, scan func(rowScanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
