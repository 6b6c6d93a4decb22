package store

import (
	"context"
	"time"
)

const auditColumns = `id, ts, actor, action, target, ip, before_json, after_json`

func scanAudit(row rowScanner) (*AuditEntry, error) {
	e := &AuditEntry{}
	err := row.Scan(&e.ID, timeCol{&e.Time}, &e.Actor, &e.Action, &e.Target, &e.IP, &e.Before, &e.After)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// InsertAudit appends e and sets its ID (and Time, when zero, to now).
func (s *sqlStore) InsertAudit(ctx context.Context, e *AuditEntry) error {
	e.Time = s.stamp(e.Time)
	err := s.wr().queryRow(ctx, `INSERT INTO audit_log (ts, actor, action, target, ip, before_json, after_json)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.d.timeArg(e.Time), e.Actor, e.Action, e.Target, e.IP, e.Before, e.After).Scan(&e.ID)
	return s.d.wrap(err, "insert audit entry")
}

// ListAudit returns one page of matching entries, newest first, and the total
// that match.
func (s *sqlStore) ListAudit(ctx context.Context, f AuditFilter) ([]*AuditEntry, int, error) {
	var w where
	w.eq("actor", f.Actor)
	w.eq("action", f.Action)
	w.eq("target", f.Target)
	w.timeRange(s.d, "ts", f.From, f.To)
	return listPage(ctx, s, "list audit", "audit_log", auditColumns, w,
		`ts DESC, id DESC`, limitOr(f.Limit, 100), f.Offset, scanAudit)
}

// DeleteAuditBefore removes entries older than before and reports how many.
func (s *sqlStore) DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error) {
	return s.deleteBefore(ctx, "audit_log", before)
}
