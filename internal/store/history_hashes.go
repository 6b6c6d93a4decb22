package store

import (
	"context"
	"strings"
)

// SetConversationHistoryHash records hash as the current history hash of
// apiKeyID's conversation, replacing the previous one.
func (s *sqlStore) SetConversationHistoryHash(ctx context.Context, apiKeyID, conversationID, hash string) error {
	return s.wr().execOne(ctx, "set history hash of conversation "+conversationID,
		`INSERT INTO conversation_history_hashes (conversation_id, api_key_id, hash, updated_at)
		SELECT id, api_key_id, ?, ? FROM conversations WHERE id = ? AND api_key_id = ?
		ON CONFLICT (conversation_id) DO UPDATE SET hash = excluded.hash, updated_at = excluded.updated_at`,
		hash, s.d.timeArg(s.nowUTC()), conversationID, apiKeyID)
}

// FindConversationByHistoryHash returns apiKeyID's conversation whose current
// history hash is hash; of several, the one hashed last.
func (s *sqlStore) FindConversationByHistoryHash(ctx context.Context, apiKeyID, hash string) (*Conversation, error) {
	c, err := scanConversation(s.rd().queryRow(ctx, `SELECT `+prefixed("c.", conversationColumns)+`
		FROM conversation_history_hashes h JOIN conversations c ON c.id = h.conversation_id
		WHERE h.api_key_id = ? AND h.hash = ? AND c.api_key_id = ?
		ORDER BY h.updated_at DESC, c.id LIMIT 1`, apiKeyID, hash, apiKeyID))
	if err != nil {
		return nil, s.d.wrap(err, "find conversation by history hash")
	}
	return c, nil
}

// prefixed qualifies each column of a comma-separated list with p.
func prefixed(p, columns string) string {
	cols := strings.Split(columns, ",")
	for i, c := range cols {
		cols[i] = p + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}
