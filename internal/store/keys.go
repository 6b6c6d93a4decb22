package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

const keyColumns = `id, name, prefix, hash, status, created_at, updated_at, expires_at, last_used_at,
	usage_limit, permissions, meta_user_id, meta_project, meta_description, max_concurrent_requests,
	cost_usd_per_day, allowed_ips, require_signature, signing_secret, tools, prev_hash, prev_hash_expires_at`

// scanKey reads one row selected with keyColumns.
func scanKey(row rowScanner) (*APIKey, error) {
	k := &APIKey{}
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, &k.Status,
		timeCol{&k.CreatedAt}, timeCol{&k.UpdatedAt}, nullTimeCol{&k.ExpiresAt}, nullTimeCol{&k.LastUsedAt},
		jsonCol{&k.UsageLimit}, jsonCol{&k.Permissions},
		&k.Metadata.UserID, &k.Metadata.Project, &k.Metadata.Description, &k.MaxConcurrentRequests,
		&k.CostUSDPerDay, jsonCol{&k.AllowedIPs}, &k.RequireSignature, &k.SigningSecret, jsonCol{&k.Tools},
		stringCol{&k.PrevHash}, nullTimeCol{&k.PrevHashExpiresAt})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// keyJSON encodes the key's JSON columns in column order: usage_limit,
// permissions, allowed_ips, tools.
func keyJSON(k *APIKey) ([4]string, error) {
	var out [4]string
	for i, v := range []any{k.UsageLimit, k.Permissions, k.AllowedIPs, k.Tools} {
		s, err := jsonArg(v)
		if err != nil {
			return out, err
		}
		out[i] = s
	}
	return out, nil
}

// normalizeKey fills defaults and brings the key's times to stored precision.
func (s *sqlStore) normalizeKey(k *APIKey) {
	if k.ID == "" {
		k.ID = uuid.NewString()
	}
	if k.Status == "" {
		k.Status = KeyActive
	}
	k.CreatedAt = s.stamp(k.CreatedAt)
	k.UpdatedAt = s.nowUTC()
	k.ExpiresAt = stampPtr(k.ExpiresAt)
	k.LastUsedAt = stampPtr(k.LastUsedAt)
	k.PrevHashExpiresAt = stampPtr(k.PrevHashExpiresAt)
}

// CreateAPIKey inserts k; a duplicate ID or hash gives ErrConflict.
func (s *sqlStore) CreateAPIKey(ctx context.Context, k *APIKey) error {
	if k.Hash == "" {
		return fmt.Errorf("store: create api key: empty hash")
	}
	s.normalizeKey(k)
	js, err := keyJSON(k)
	if err != nil {
		return err
	}
	_, err = s.wr().exec(ctx, `INSERT INTO api_keys (`+keyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Prefix, k.Hash, k.Status,
		s.d.timeArg(k.CreatedAt), s.d.timeArg(k.UpdatedAt), s.d.nullTime(k.ExpiresAt), s.d.nullTime(k.LastUsedAt),
		js[0], js[1], k.Metadata.UserID, k.Metadata.Project, k.Metadata.Description, k.MaxConcurrentRequests,
		k.CostUSDPerDay, js[2], k.RequireSignature, k.SigningSecret, js[3],
		nullString(k.PrevHash), s.d.nullTime(k.PrevHashExpiresAt))
	return s.d.wrap(err, "create api key")
}

// GetAPIKey returns the key with id or ErrNotFound.
func (s *sqlStore) GetAPIKey(ctx context.Context, id string) (*APIKey, error) {
	k, err := scanKey(s.rd().queryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = ?`, id))
	if err != nil {
		return nil, s.d.wrap(err, "get api key "+id)
	}
	return k, nil
}

// GetAPIKeyByHash matches the current hash, or the previous one while its grace
// period lasts. The current hash wins if both match different keys.
func (s *sqlStore) GetAPIKeyByHash(ctx context.Context, hash string) (*APIKey, error) {
	if hash == "" {
		return nil, fmt.Errorf("store: get api key by hash: %w", ErrNotFound)
	}
	k, err := scanKey(s.rd().queryRow(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE hash = ? OR (prev_hash = ? AND prev_hash_expires_at > ?)
		ORDER BY CASE WHEN hash = ? THEN 0 ELSE 1 END LIMIT 1`,
		hash, hash, s.d.timeArg(s.now()), hash))
	if err != nil {
		return nil, s.d.wrap(err, "get api key by hash")
	}
	return k, nil
}

// ListAPIKeys returns one page of keys, newest first, and the total that match.
func (s *sqlStore) ListAPIKeys(ctx context.Context, f KeyFilter) ([]*APIKey, int, error) {
	var w where
	w.eq("status", f.Status)
	if f.Search != "" {
		pat := likePattern(f.Search)
		w.add(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(meta_user_id) LIKE ? ESCAPE '\'
			OR LOWER(meta_project) LIKE ? ESCAPE '\' OR LOWER(meta_description) LIKE ? ESCAPE '\')`,
			pat, pat, pat, pat)
	}
	return listPage(ctx, s, "list api keys", "api_keys", keyColumns, w,
		`created_at DESC, id`, limitOr(f.Limit, 50), f.Offset, scanKey)
}

// UpdateAPIKey rewrites every mutable field of the key with k.ID (all but ID,
// CreatedAt and LastUsedAt) and sets UpdatedAt.
func (s *sqlStore) UpdateAPIKey(ctx context.Context, k *APIKey) error {
	if k.Hash == "" {
		return fmt.Errorf("store: update api key: empty hash")
	}
	if k.Status == "" {
		k.Status = KeyActive
	}
	k.UpdatedAt = s.nowUTC()
	k.ExpiresAt = stampPtr(k.ExpiresAt)
	k.PrevHashExpiresAt = stampPtr(k.PrevHashExpiresAt)
	js, err := keyJSON(k)
	if err != nil {
		return err
	}
	return s.wr().execOne(ctx, "update api key "+k.ID, `UPDATE api_keys SET
		name = ?, prefix = ?, hash = ?, status = ?, updated_at = ?, expires_at = ?,
		usage_limit = ?, permissions = ?, meta_user_id = ?, meta_project = ?, meta_description = ?,
		max_concurrent_requests = ?, cost_usd_per_day = ?, allowed_ips = ?, require_signature = ?,
		signing_secret = ?, tools = ?, prev_hash = ?, prev_hash_expires_at = ?
		WHERE id = ?`,
		k.Name, k.Prefix, k.Hash, k.Status, s.d.timeArg(k.UpdatedAt), s.d.nullTime(k.ExpiresAt),
		js[0], js[1], k.Metadata.UserID, k.Metadata.Project, k.Metadata.Description,
		k.MaxConcurrentRequests, k.CostUSDPerDay, js[2], k.RequireSignature,
		k.SigningSecret, js[3], nullString(k.PrevHash), s.d.nullTime(k.PrevHashExpiresAt),
		k.ID)
}

// DeleteAPIKey removes the key; its conversations go with it (ON DELETE CASCADE),
// its usage events and audit entries stay.
func (s *sqlStore) DeleteAPIKey(ctx context.Context, id string) error {
	return s.wr().execOne(ctx, "delete api key "+id, `DELETE FROM api_keys WHERE id = ?`, id)
}

// TouchAPIKey records a use at at; last_used_at never moves backwards.
func (s *sqlStore) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	t := s.d.timeArg(s.stamp(at))
	return s.wr().execOne(ctx, "touch api key "+id, `UPDATE api_keys SET last_used_at =
		CASE WHEN last_used_at IS NULL OR last_used_at < ? THEN ? ELSE last_used_at END
		WHERE id = ?`, t, t, id)
}
