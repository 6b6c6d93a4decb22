package store

import (
	"context"
	"time"

	"github.com/google/uuid"
)

const conversationColumns = `id, api_key_id, model, system_prompt, title, metadata, session_id,
	max_tokens, temperature, created_at, updated_at`

func scanConversation(row rowScanner) (*Conversation, error) {
	c := &Conversation{}
	err := row.Scan(&c.ID, &c.APIKeyID, &c.Model, &c.SystemPrompt, &c.Title, jsonCol{&c.Metadata},
		&c.SessionID, &c.MaxTokens, &c.Temperature, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// CreateConversation inserts c, generating ID when empty. The owning API key must
// exist (otherwise ErrNotFound); a duplicate ID gives ErrConflict.
func (s *sqlStore) CreateConversation(ctx context.Context, c *Conversation) error {
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	c.CreatedAt = s.stamp(c.CreatedAt)
	c.UpdatedAt = s.stamp(c.UpdatedAt)
	meta, err := jsonArg(c.Metadata)
	if err != nil {
		return err
	}
	_, err = s.wr().exec(ctx, `INSERT INTO conversations (`+conversationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.APIKeyID, c.Model, c.SystemPrompt, c.Title, meta, c.SessionID,
		c.MaxTokens, c.Temperature, s.d.timeArg(c.CreatedAt), s.d.timeArg(c.UpdatedAt))
	return s.d.wrap(err, "create conversation")
}

// GetConversation returns the conversation id owned by apiKeyID.
func (s *sqlStore) GetConversation(ctx context.Context, apiKeyID, id string) (*Conversation, error) {
	c, err := scanConversation(s.rd().queryRow(ctx, `SELECT `+conversationColumns+`
		FROM conversations WHERE id = ? AND api_key_id = ?`, id, apiKeyID))
	if err != nil {
		return nil, s.d.wrap(err, "get conversation "+id)
	}
	return c, nil
}

// ListConversations returns one page of apiKeyID's conversations, most recently
// updated first, and their total.
func (s *sqlStore) ListConversations(ctx context.Context, apiKeyID string, limit, offset int) ([]*Conversation, int, error) {
	var w where
	w.add("api_key_id = ?", apiKeyID)
	return listPage(ctx, s, "list conversations", "conversations", conversationColumns, w,
		`updated_at DESC, id`, limitOr(limit, 50), offset, scanConversation)
}

// UpdateConversation rewrites the mutable fields (model, system prompt, title,
// metadata, session id, max tokens, temperature) of c.ID, scoped to c.APIKeyID,
// and sets UpdatedAt to now.
func (s *sqlStore) UpdateConversation(ctx context.Context, c *Conversation) error {
	meta, err := jsonArg(c.Metadata)
	if err != nil {
		return err
	}
	c.UpdatedAt = s.nowUTC()
	return s.wr().execOne(ctx, "update conversation "+c.ID, `UPDATE conversations SET
		model = ?, system_prompt = ?, title = ?, metadata = ?, session_id = ?, max_tokens = ?,
		temperature = ?, updated_at = ?
		WHERE id = ? AND api_key_id = ?`,
		c.Model, c.SystemPrompt, c.Title, meta, c.SessionID, c.MaxTokens,
		c.Temperature, s.d.timeArg(c.UpdatedAt), c.ID, c.APIKeyID)
}

// DeleteConversation removes the conversation with its messages, transcript and
// lease in one transaction.
func (s *sqlStore) DeleteConversation(ctx context.Context, apiKeyID, id string) error {
	return s.inTx(ctx, func(c conn) error {
		if err := c.execOne(ctx, "delete conversation "+id,
			`DELETE FROM conversations WHERE id = ? AND api_key_id = ?`, id, apiKeyID); err != nil {
			return err
		}
		for _, q := range []string{
			`DELETE FROM messages WHERE conversation_id = ?`,
			`DELETE FROM cli_transcript_chunks WHERE conversation_id = ?`,
			`DELETE FROM cli_transcripts WHERE conversation_id = ?`,
			`DELETE FROM conversation_leases WHERE conversation_id = ?`,
		} {
			if _, err := c.exec(ctx, q, id); err != nil {
				return c.d.wrap(err, "delete conversation "+id)
			}
		}
		return nil
	})
}

// ListIdleConversations returns up to limit (0 = 100) conversations last updated
// before before, oldest first.
func (s *sqlStore) ListIdleConversations(ctx context.Context, before time.Time, limit int) ([]*Conversation, error) {
	rows, err := s.rd().query(ctx, `SELECT `+conversationColumns+` FROM conversations
		WHERE updated_at < ? ORDER BY updated_at, id LIMIT ?`, s.d.timeArg(before), limitOr(limit, 100))
	if err != nil {
		return nil, s.d.wrap(err, "list idle conversations")
	}
	cs, err := collect(rows, scanConversation)
	return cs, s.d.wrap(err, "list idle conversations")
}
