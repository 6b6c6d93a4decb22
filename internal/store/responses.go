package store

import (
	"context"
	"fmt"
	"time"
)

// PutResponse inserts r; the conversation must belong to r.APIKeyID
// (otherwise ErrNotFound).
func (s *sqlStore) PutResponse(ctx context.Context, r *StoredResponse) error {
	if r.ID == "" {
		return fmt.Errorf("store: put response: empty id")
	}
	r.CreatedAt = s.stamp(r.CreatedAt)
	return s.wr().execOne(ctx, "put response "+r.ID,
		`INSERT INTO responses (id, api_key_id, conversation_id, message_seq, body, created_at)
		SELECT ?, api_key_id, id, ?, ?, ? FROM conversations WHERE id = ? AND api_key_id = ?`,
		r.ID, r.MessageSeq, r.Body, s.d.timeArg(r.CreatedAt), r.ConversationID, r.APIKeyID)
}

// GetResponse returns apiKeyID's response id.
func (s *sqlStore) GetResponse(ctx context.Context, apiKeyID, id string) (*StoredResponse, error) {
	r := &StoredResponse{}
	err := s.rd().queryRow(ctx, `SELECT id, api_key_id, conversation_id, message_seq, body, created_at
		FROM responses WHERE id = ? AND api_key_id = ?`, id, apiKeyID).
		Scan(&r.ID, &r.APIKeyID, &r.ConversationID, &r.MessageSeq, &r.Body, timeCol{&r.CreatedAt})
	if err != nil {
		return nil, s.d.wrap(err, "get response "+id)
	}
	return r, nil
}

// DeleteResponse removes apiKeyID's response id; its conversation stays.
func (s *sqlStore) DeleteResponse(ctx context.Context, apiKeyID, id string) error {
	return s.wr().execOne(ctx, "delete response "+id, `DELETE FROM responses WHERE id = ? AND api_key_id = ?`, id, apiKeyID)
}

// ClaimIdempotencyKey inserts r in flight unless a record newer than notBefore
// holds its key; one statement, so of two concurrent claims exactly one wins.
func (s *sqlStore) ClaimIdempotencyKey(ctx context.Context, r *IdempotencyRecord, notBefore time.Time) (*IdempotencyRecord, error) {
	if r.Scope == "" || r.Operation == "" || r.Key == "" {
		return nil, fmt.Errorf("store: claim idempotency key: empty scope, operation or key")
	}
	r.CreatedAt = s.stamp(time.Time{})
	r.Status, r.Header, r.Body = 0, nil, nil
	res, err := s.wr().exec(ctx, `INSERT INTO idempotency_keys AS i (scope, operation, key, request_hash, status, header, body, created_at)
		VALUES (?, ?, ?, ?, 0, '{}', NULL, ?)
		ON CONFLICT (scope, operation, key) DO UPDATE SET
			request_hash = excluded.request_hash, status = 0, header = '{}', body = NULL, created_at = excluded.created_at
		WHERE i.created_at < ?`,
		r.Scope, r.Operation, r.Key, r.RequestHash, s.d.timeArg(r.CreatedAt), s.d.timeArg(notBefore))
	if err != nil {
		return nil, s.d.wrap(err, "claim idempotency key")
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, s.d.wrap(err, "claim idempotency key")
	} else if n == 1 {
		return nil, nil
	}
	prev := &IdempotencyRecord{}
	var body []byte
	err = s.wr().queryRow(ctx, `SELECT scope, operation, key, request_hash, status, header, body, created_at
		FROM idempotency_keys WHERE scope = ? AND operation = ? AND key = ?`, r.Scope, r.Operation, r.Key).
		Scan(&prev.Scope, &prev.Operation, &prev.Key, &prev.RequestHash, &prev.Status, jsonCol{&prev.Header}, &body, timeCol{&prev.CreatedAt})
	if err != nil {
		return nil, s.d.wrap(err, "claim idempotency key")
	}
	prev.Body = body
	return prev, nil
}

// CompleteIdempotencyKey stores the answer of the claim r (matched by its key and
// request hash); a claim that is gone gives ErrNotFound.
func (s *sqlStore) CompleteIdempotencyKey(ctx context.Context, r *IdempotencyRecord) error {
	header, err := jsonArg(r.Header)
	if err != nil {
		return err
	}
	return s.wr().execOne(ctx, "complete idempotency key",
		`UPDATE idempotency_keys SET status = ?, header = ?, body = ?
		WHERE scope = ? AND operation = ? AND key = ? AND request_hash = ? AND status = 0`,
		r.Status, header, r.Body, r.Scope, r.Operation, r.Key, r.RequestHash)
}

// ReleaseIdempotencyKey deletes the record of a key.
func (s *sqlStore) ReleaseIdempotencyKey(ctx context.Context, scope, operation, key string) error {
	_, err := s.wr().exec(ctx, `DELETE FROM idempotency_keys WHERE scope = ? AND operation = ? AND key = ?`, scope, operation, key)
	return s.d.wrap(err, "release idempotency key")
}

// PurgeIdempotencyKeys deletes the records created before before.
func (s *sqlStore) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.wr().exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, s.d.timeArg(before))
	if err != nil {
		return 0, s.d.wrap(err, "purge idempotency keys")
	}
	n, err := res.RowsAffected()
	return n, s.d.wrap(err, "purge idempotency keys")
}
