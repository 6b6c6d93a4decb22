package store

import (
	"context"
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

// count returns how many rows of table match w.
func (s *sqlStore) count(ctx context.Context, table string, w where) (int, error) {
	var n int
	err := s.rd().queryRow(ctx, `SELECT COUNT(*) FROM `+table+w.sql(), w.args...).Scan(&n)
	return n, err
}
