package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/google/uuid"
)

const messageColumns = `id, conversation_id, seq, role, content, model, input_tokens, output_tokens,
	cache_read_input_tokens, cache_creation_input_tokens, cost_usd, duration_ms, stop_reason, created_at`

func scanMessage(row rowScanner) (*Message, error) {
	m := &Message{}
	err := row.Scan(&m.ID, &m.ConversationID, &m.Seq, &m.Role, &m.Content, &m.Model,
		&m.InputTokens, &m.OutputTokens, &m.CacheReadInputTokens, &m.CacheCreationInputTokens,
		&m.CostUSD, &m.DurationMS, &m.StopReason, timeCol{&m.CreatedAt})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// AppendMessages stores msgs after the conversation's last message in one
// transaction, setting each message's ConversationID, Seq, and ID and CreatedAt
// when empty. It also sets the conversation's updated_at. Bumping updated_at first
// takes the conversation's row lock, which serializes concurrent appenders on
// PostgreSQL; SQLite has one writer. An unknown conversation gives ErrNotFound.
func (s *sqlStore) AppendMessages(ctx context.Context, conversationID string, msgs []*Message) error {
	if len(msgs) == 0 {
		return nil
	}
	return s.inTx(ctx, func(c conn) error {
		if err := s.touchConversation(ctx, c, conversationID); err != nil {
			return err
		}
		return s.appendMessages(ctx, c, conversationID, msgs)
	})
}

// CommitTurn stores a finished turn in one transaction: it bumps the
// conversation's updated_at (taking its row lock, as AppendMessages does), checks
// the fencing token by touching l's lease row (taking its lock, so no acquirer
// can take the lease before the commit ends), replaces the transcript with t and
// appends msgs. Either all of it is stored or, on error, none. An unknown
// conversation gives ErrNotFound, a lease no longer l's ErrLeaseHeld.
func (s *sqlStore) CommitTurn(ctx context.Context, l *Lease, msgs []*Message, t *Transcript) error {
	if t == nil || l == nil {
		return fmt.Errorf("store: commit turn: no transcript or no lease")
	}
	conversationID := l.ConversationID
	t.ConversationID = conversationID
	return s.inTx(ctx, func(c conn) error {
		if err := s.touchConversation(ctx, c, conversationID); err != nil {
			return err
		}
		res, err := c.exec(ctx, `UPDATE conversation_leases SET token = token
			WHERE conversation_id = ? AND owner = ? AND token = ?`, conversationID, l.Owner, l.Token)
		if err != nil {
			return c.d.wrap(err, "commit turn "+conversationID)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("store: commit turn %s: lease token %d of %s no longer valid: %w",
				conversationID, l.Token, l.Owner, ErrLeaseHeld)
		}
		if err := s.putTranscript(ctx, c, t); err != nil {
			return err
		}
		return s.appendMessages(ctx, c, conversationID, msgs)
	})
}

// touchConversation sets the conversation's updated_at to now.
func (s *sqlStore) touchConversation(ctx context.Context, c conn, conversationID string) error {
	return c.execOne(ctx, "update conversation "+conversationID, `UPDATE conversations SET updated_at = ? WHERE id = ?`,
		s.d.timeArg(s.nowUTC()), conversationID)
}

// appendMessages inserts msgs after the conversation's last message; the caller
// holds the conversation's row lock.
func (s *sqlStore) appendMessages(ctx context.Context, c conn, conversationID string, msgs []*Message) error {
	what := "append messages to " + conversationID
	var last int64
	if err := c.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM messages WHERE conversation_id = ?`,
		conversationID).Scan(&last); err != nil {
		return c.d.wrap(err, what)
	}
	now := s.nowUTC()
	for i, m := range msgs {
		if m.ID == "" {
			m.ID = uuid.NewString()
		}
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		m.CreatedAt = s.stamp(m.CreatedAt)
		m.ConversationID = conversationID
		m.Seq = last + int64(i) + 1
		if _, err := c.exec(ctx, `INSERT INTO messages (`+messageColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			m.ID, m.ConversationID, m.Seq, m.Role, m.Content, m.Model, m.InputTokens, m.OutputTokens,
			m.CacheReadInputTokens, m.CacheCreationInputTokens, m.CostUSD, m.DurationMS, m.StopReason,
			s.d.timeArg(m.CreatedAt)); err != nil {
			return c.d.wrap(err, what)
		}
	}
	return nil
}

// ListMessages returns the conversation's messages in Seq order; an unknown or
// empty conversation gives an empty list.
func (s *sqlStore) ListMessages(ctx context.Context, conversationID string) ([]*Message, error) {
	rows, err := s.rd().query(ctx, `SELECT `+messageColumns+` FROM messages
		WHERE conversation_id = ? ORDER BY seq`, conversationID)
	if err != nil {
		return nil, s.d.wrap(err, "list messages")
	}
	ms, err := collect(rows, scanMessage)
	return ms, s.d.wrap(err, "list messages")
}

// ListMessagesPage reads the page newest first with one row beyond it, so HasMore
// needs no second count of older rows, and stops reading at the byte bound.
func (s *sqlStore) ListMessagesPage(ctx context.Context, conversationID string, q MessagePageQuery) (*MessagePage, error) {
	const what = "list messages page"
	limit := limitOr(q.Limit, 100)
	var w where
	w.add("conversation_id = ?", conversationID)
	page := &MessagePage{Messages: []*Message{}}
	total := w.sql()
	countArgs := slices.Clone(w.args)
	if q.Before > 0 {
		w.add("seq < ?", q.Before)
	}
	// The total rides along on every row, so the page and its total are one
	// statement: one snapshot, even while turns append.
	rows, err := s.rd().query(ctx, `SELECT `+messageColumns+`, (SELECT COUNT(*) FROM messages`+total+`) FROM messages`+w.sql()+
		` ORDER BY seq DESC LIMIT ?`, append(append(countArgs, w.args...), limit+1)...)
	if err != nil {
		return nil, s.d.wrap(err, what)
	}
	defer rows.Close()
	size := 0
	for rows.Next() {
		m, err := scanMessage(withColumn{rows, &page.Total})
		if err != nil {
			return nil, s.d.wrap(err, what)
		}
		size += MessageSize(m)
		if len(page.Messages) == limit || (q.MaxBytes > 0 && size > q.MaxBytes && len(page.Messages) > 0) {
			page.HasMore = true
			break
		}
		page.Messages = append(page.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.wrap(err, what)
	}
	slices.Reverse(page.Messages)
	if len(page.Messages) == 0 && q.Before > 0 {
		// An empty page past the oldest message still reports the total.
		if err := s.rd().queryRow(ctx, `SELECT COUNT(*) FROM messages`+total, countArgs...).Scan(&page.Total); err != nil {
			return nil, s.d.wrap(err, what)
		}
	}
	return page, nil
}

// withColumn scans a row's leading columns with the caller's destinations and
// its last column into extra.
type withColumn struct {
	rows  *sql.Rows
	extra any
}

func (w withColumn) Scan(dest ...any) error { return w.rows.Scan(append(dest, w.extra)...) }

// PutTranscript inserts or replaces the conversation's CLI transcript and sets
// t.UpdatedAt. The conversation must exist (otherwise ErrNotFound).
func (s *sqlStore) PutTranscript(ctx context.Context, t *Transcript) error {
	if t.ConversationID == "" {
		return fmt.Errorf("store: put transcript: empty conversation id")
	}
	return s.putTranscript(ctx, s.wr(), t)
}
