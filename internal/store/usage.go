package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

const usageColumns = `api_key_id, ts, endpoint, method, request_tokens, response_tokens, total_tokens,
	cache_read_input_tokens, cache_creation_input_tokens, cost_usd, response_time_ms, ttft_ms,
	status_code, model, error, conversation_id, request_id, node, admitted`

// usageColumnCount is the number of columns in usageColumns.
const usageColumnCount = 19

// usageBatchRows bounds one multi-row INSERT so that its parameters stay well
// under SQLite's and PostgreSQL's limits.
const usageBatchRows = 500

// usageTotalsSQL aggregates the selected events into UsageTotals' fields, in order.
const usageTotalsSQL = `COUNT(*),
	CAST(COALESCE(SUM(CASE WHEN status_code >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(request_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(response_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(total_tokens), 0) AS BIGINT),
	COALESCE(SUM(cost_usd), 0)`

func scanUsage(row rowScanner) (*UsageEvent, error) {
	e := &UsageEvent{}
	err := row.Scan(&e.ID, &e.APIKeyID, timeCol{&e.Timestamp}, &e.Endpoint, &e.Method,
		&e.RequestTokens, &e.ResponseTokens, &e.TotalTokens, &e.CacheReadInputTokens,
		&e.CacheCreationInputTokens, &e.CostUSD, &e.ResponseTimeMS, &e.TTFTMS, &e.StatusCode,
		&e.Model, &e.Error, &e.ConversationID, &e.RequestID, &e.Node, &e.Admitted)
	if err != nil {
		return nil, err
	}
	return e, nil
}

func scanTotals(extra ...any) ([]any, *UsageTotals) {
	t := &UsageTotals{}
	return append(extra, &t.Requests, &t.Errors, &t.RequestTokens, &t.ResponseTokens,
		&t.TotalTokens, &t.CostUSD), t
}

// InsertUsageEvents stores events in one transaction with multi-row INSERTs and
// sets each event's ID (and Timestamp, when zero, to now).
func (s *sqlStore) InsertUsageEvents(ctx context.Context, events []*UsageEvent) error {
	if len(events) == 0 {
		return nil
	}
	return s.inTx(ctx, func(c conn) error {
		for start := 0; start < len(events); start += usageBatchRows {
			if err := s.insertUsageBatch(ctx, c, events[start:min(start+usageBatchRows, len(events))]); err != nil {
				return err
			}
		}
		return nil
	})
}

// insertUsageBatch inserts one batch. Both databases hand out increasing ids in
// VALUES order within a statement, so the sorted returned ids map onto the batch
// in order whatever order RETURNING emits them in.
func (s *sqlStore) insertUsageBatch(ctx context.Context, c conn, batch []*UsageEvent) error {
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", usageColumnCount), ", ") + ")"
	var q strings.Builder
	q.WriteString(`INSERT INTO usage_events (` + usageColumns + `) VALUES `)
	args := make([]any, 0, len(batch)*usageColumnCount)
	for i, e := range batch {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(row)
		e.Timestamp = s.stamp(e.Timestamp)
		args = append(args, e.APIKeyID, s.d.timeArg(e.Timestamp), e.Endpoint, e.Method,
			e.RequestTokens, e.ResponseTokens, e.TotalTokens, e.CacheReadInputTokens,
			e.CacheCreationInputTokens, e.CostUSD, e.ResponseTimeMS, e.TTFTMS, e.StatusCode,
			e.Model, e.Error, e.ConversationID, e.RequestID, e.Node, e.Admitted)
	}
	q.WriteString(` RETURNING id`)
	rows, err := c.query(ctx, q.String(), args...)
	if err != nil {
		return c.d.wrap(err, "insert usage events")
	}
	ids, err := collect(rows, func(r rowScanner) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	})
	if err != nil {
		return c.d.wrap(err, "insert usage events")
	}
	if len(ids) != len(batch) {
		return fmt.Errorf("store: insert usage events: %d ids for %d rows", len(ids), len(batch))
	}
	slices.Sort(ids)
	for i, e := range batch {
		e.ID = ids[i]
	}
	return nil
}

// usageWhere renders f's conditions; Limit and Offset are not part of it.
func (s *sqlStore) usageWhere(f UsageFilter) where {
	var w where
	w.eq("api_key_id", f.APIKeyID)
	w.eq("model", f.Model)
	w.timeRange(s.d, "ts", f.From, f.To)
	if f.Status != 0 {
		w.add("status_code = ?", f.Status)
	}
	if f.ErrorsOnly {
		w.add("status_code >= 400")
	}
	if f.Admitted {
		w.add("admitted")
	}
	return w
}

// ListUsageEvents returns one page of matching events, newest first, and the
// total that match.
func (s *sqlStore) ListUsageEvents(ctx context.Context, f UsageFilter) ([]*UsageEvent, int, error) {
	w := s.usageWhere(f)
	return listPage(ctx, s, "list usage events", "usage_events", "id, "+usageColumns, w,
		`ts DESC, id DESC`, limitOr(f.Limit, 100), f.Offset, scanUsage)
}

// SumUsage aggregates every event matching f (Limit and Offset are ignored).
func (s *sqlStore) SumUsage(ctx context.Context, f UsageFilter) (UsageTotals, error) {
	w := s.usageWhere(f)
	dest, t := scanTotals()
	err := s.rd().queryRow(ctx, `SELECT `+usageTotalsSQL+` FROM usage_events`+w.sql(), w.args...).Scan(dest...)
	if err != nil {
		return UsageTotals{}, s.d.wrap(err, "sum usage")
	}
	return *t, nil
}

// SumUsageByKey aggregates the events matching f per API key id.
func (s *sqlStore) SumUsageByKey(ctx context.Context, f UsageFilter) (map[string]UsageTotals, error) {
	return s.sumUsageBy(ctx, f, "api_key_id")
}

// SumUsageByModel aggregates the events matching f per model.
func (s *sqlStore) SumUsageByModel(ctx context.Context, f UsageFilter) (map[string]UsageTotals, error) {
	return s.sumUsageBy(ctx, f, "model")
}

// sumUsageBy groups by col, a column name from this package, never user input.
func (s *sqlStore) sumUsageBy(ctx context.Context, f UsageFilter, col string) (map[string]UsageTotals, error) {
	w := s.usageWhere(f)
	rows, err := s.rd().query(ctx, `SELECT `+col+`, `+usageTotalsSQL+` FROM usage_events`+w.sql()+
		` GROUP BY `+col, w.args...)
	if err != nil {
		return nil, s.d.wrap(err, "sum usage by "+col)
	}
	defer rows.Close()
	out := map[string]UsageTotals{}
	for rows.Next() {
		var k string
		dest, t := scanTotals(&k)
		if err := rows.Scan(dest...); err != nil {
			return nil, s.d.wrap(err, "sum usage by "+col)
		}
		out[k] = *t
	}
	return out, s.d.wrap(rows.Err(), "sum usage by "+col)
}

// DeleteUsageBefore removes events older than before and reports how many.
func (s *sqlStore) DeleteUsageBefore(ctx context.Context, before time.Time) (int64, error) {
	return s.deleteBefore(ctx, "usage_events", before)
}

// deleteBefore removes rows of table whose ts is before before.
func (s *sqlStore) deleteBefore(ctx context.Context, table string, before time.Time) (int64, error) {
	res, err := s.wr().exec(ctx, `DELETE FROM `+table+` WHERE ts < ?`, s.d.timeArg(before))
	if err != nil {
		return 0, s.d.wrap(err, "delete from "+table)
	}
	n, err := res.RowsAffected()
	return n, s.d.wrap(err, "delete from "+table)
}
