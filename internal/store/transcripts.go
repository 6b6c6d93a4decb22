package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// A transcript is stored as a header row (cli_transcripts: session, size and
// SHA-256 of the whole, the number of appended chunks) and its bytes in
// cli_transcript_chunks: chunk 0 is the base, 1..chunks the appended pieces. The
// header holds no blob, so an append's update of it costs the same whatever the
// transcript's size.
//
// maxTranscriptChunks bounds the appended pieces of a transcript: the commit that
// would add one more writes the whole transcript again instead (and drops the
// pieces), so reads stay a handful of rows and writes stay amortized O(turn).
const maxTranscriptChunks = 64

// putTranscript stores t. A CLI transcript is a JSONL file the CLI appends to, and
// it grows by some 35 KB a turn: writing it whole on every commit made each turn's
// commit O(conversation). So when the stored transcript is, byte for byte, a prefix
// of t.Data (same session, its SHA-256 matches that of t.Data's first size bytes),
// only the new bytes are appended as a chunk; anything else (another session, a
// rewritten file, the chunk limit) replaces the transcript whole. The caller runs
// it in the commit's transaction, holding the conversation's row lock.
func (s *sqlStore) putTranscript(ctx context.Context, c conn, t *Transcript) error {
	t.UpdatedAt = s.nowUTC()
	data := t.Data
	if data == nil {
		data = []byte{}
	}
	what := "put transcript " + t.ConversationID
	var (
		session, sum string
		size, chunks int64
	)
	err := c.queryRow(ctx, `SELECT session_id, size, sha256, chunks FROM cli_transcripts WHERE conversation_id = ?`,
		t.ConversationID).Scan(&session, &size, &sum, &chunks)
	found := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return s.d.wrap(err, what)
	}
	h := sha256.New()
	if found && session == t.SessionID && sum != "" && size > 0 && int64(len(data)) >= size && chunks < maxTranscriptChunks {
		h.Write(data[:size])
		if hex.EncodeToString(h.Sum(nil)) == sum {
			if int64(len(data)) > size {
				h.Write(data[size:])
				if _, err := c.exec(ctx, `INSERT INTO cli_transcript_chunks (conversation_id, seq, data) VALUES (?, ?, ?)`,
					t.ConversationID, chunks+1, data[size:]); err != nil {
					return s.d.wrap(err, what)
				}
				chunks++
			}
			_, err := c.exec(ctx, `UPDATE cli_transcripts SET size = ?, sha256 = ?, chunks = ?, updated_at = ?
				WHERE conversation_id = ?`, int64(len(data)), hex.EncodeToString(h.Sum(nil)), chunks,
				s.d.timeArg(t.UpdatedAt), t.ConversationID)
			return s.d.wrap(err, what)
		}
		h.Reset()
	}
	// Written whole: the bytes become chunk 0 (the base), the appended chunks go.
	h.Write(data)
	if _, err := c.exec(ctx, `DELETE FROM cli_transcript_chunks WHERE conversation_id = ?`, t.ConversationID); err != nil {
		return s.d.wrap(err, what)
	}
	if _, err := c.exec(ctx, `INSERT INTO cli_transcript_chunks (conversation_id, seq, data) VALUES (?, 0, ?)`,
		t.ConversationID, data); err != nil {
		return s.d.wrap(err, what)
	}
	_, err = c.exec(ctx, `INSERT INTO cli_transcripts (conversation_id, session_id, size, sha256, chunks, updated_at)
		VALUES (?, ?, ?, ?, 0, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET
			session_id = excluded.session_id, size = excluded.size,
			sha256 = excluded.sha256, chunks = 0, updated_at = excluded.updated_at`,
		t.ConversationID, t.SessionID, int64(len(data)), hex.EncodeToString(h.Sum(nil)), s.d.timeArg(t.UpdatedAt))
	return s.d.wrap(err, what)
}

// GetTranscript returns the conversation's transcript or ErrNotFound: the stored
// base and its appended chunks, read in one statement so that a concurrent commit
// (which may fold the chunks back into the base) is never seen half done.
func (s *sqlStore) GetTranscript(ctx context.Context, conversationID string) (*Transcript, error) {
	what := "get transcript " + conversationID
	rows, err := s.rd().query(ctx, `SELECT -1 AS seq, session_id, chunks, NULL AS data, updated_at
			FROM cli_transcripts WHERE conversation_id = ?
		UNION ALL
		SELECT seq, '', 0, data, NULL FROM cli_transcript_chunks WHERE conversation_id = ?
		ORDER BY 1`, conversationID, conversationID)
	if err != nil {
		return nil, s.d.wrap(err, what)
	}
	defer rows.Close()
	t := &Transcript{ConversationID: conversationID}
	var (
		buf                     bytes.Buffer
		found, base             bool
		seq, chunks, want, seen int64
	)
	for rows.Next() {
		var (
			session string
			piece   []byte
			at      time.Time
		)
		if err := rows.Scan(&seq, &session, &chunks, &piece, timeCol{&at}); err != nil {
			return nil, s.d.wrap(err, what)
		}
		switch {
		case seq < 0: // the header row: session, chunk count, time
			found, want, t.SessionID, t.UpdatedAt = true, chunks, session, at
		case seq == 0:
			base = true
		default:
			seen++
		}
		buf.Write(piece)
	}
	if err := rows.Err(); err != nil {
		return nil, s.d.wrap(err, what)
	}
	if !found {
		return nil, s.d.wrap(sql.ErrNoRows, what)
	}
	if !base || seen != want {
		return nil, fmt.Errorf("store: %s: base stored %v, %d chunks stored, %d expected", what, base, seen, want)
	}
	t.Data = buf.Bytes()
	return t, nil
}
