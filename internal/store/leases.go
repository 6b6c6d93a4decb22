package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// AcquireLease takes or renews the conversation's lease for owner in one
// statement, so concurrent acquirers on any node cannot both win. The token stays
// the same only when owner renews a lease it still holds; every other acquisition,
// including re-acquiring after release or expiry, increments it. A lease held by
// another owner gives ErrLeaseHeld.
func (s *sqlStore) AcquireLease(ctx context.Context, conversationID, owner string, ttl time.Duration) (*Lease, error) {
	if conversationID == "" || owner == "" {
		return nil, fmt.Errorf("store: acquire lease: empty conversation id or owner")
	}
	now := s.nowUTC()
	l := &Lease{ConversationID: conversationID, Owner: owner, ExpiresAt: now.Add(ttl)}
	nowArg := s.d.timeArg(now)
	err := s.wr().queryRow(ctx, `INSERT INTO conversation_leases AS l (conversation_id, owner, token, expires_at)
		VALUES (?, ?, 1, ?)
		ON CONFLICT (conversation_id) DO UPDATE SET
			token = CASE WHEN l.owner = excluded.owner AND l.expires_at > ? THEN l.token ELSE l.token + 1 END,
			owner = excluded.owner,
			expires_at = excluded.expires_at
		WHERE l.owner = excluded.owner OR l.expires_at <= ?
		RETURNING token`,
		conversationID, owner, s.d.timeArg(l.ExpiresAt), nowArg, nowArg).Scan(&l.Token)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: acquire lease on %s: %w", conversationID, ErrLeaseHeld)
	}
	if err != nil {
		return nil, s.d.wrap(err, "acquire lease on "+conversationID)
	}
	return l, nil
}

// RenewLease moves l's expiry to now+ttl if l.Owner still holds l.Token (even if
// it lapsed meanwhile, as long as nobody else acquired it), and updates
// l.ExpiresAt. A lease taken over gives ErrLeaseHeld, a missing one ErrNotFound.
func (s *sqlStore) RenewLease(ctx context.Context, l *Lease, ttl time.Duration) error {
	exp := s.nowUTC().Add(ttl)
	if err := s.updateLease(ctx, "renew", l, exp); err != nil {
		return err
	}
	l.ExpiresAt = exp
	return nil
}

// ReleaseLease ends l now so that another owner can acquire it at once. The row
// stays, keeping the token so the next holder's token is still larger. Releasing
// a lease taken over gives ErrLeaseHeld, a missing one ErrNotFound.
func (s *sqlStore) ReleaseLease(ctx context.Context, l *Lease) error {
	return s.updateLease(ctx, "release", l, time.Unix(0, 0).UTC())
}

// updateLease sets the expiry of the lease matching l's owner and token.
func (s *sqlStore) updateLease(ctx context.Context, op string, l *Lease, exp time.Time) error {
	what := op + " lease on " + l.ConversationID
	res, err := s.wr().exec(ctx, `UPDATE conversation_leases SET expires_at = ?
		WHERE conversation_id = ? AND owner = ? AND token = ?`,
		s.d.timeArg(exp), l.ConversationID, l.Owner, l.Token)
	if err != nil {
		return s.d.wrap(err, what)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return s.d.wrap(err, what)
	}
	var one int
	err = s.wr().queryRow(ctx, `SELECT 1 FROM conversation_leases WHERE conversation_id = ?`, l.ConversationID).Scan(&one)
	if err != nil {
		return s.d.wrap(err, what)
	}
	return fmt.Errorf("store: %s: %w", what, ErrLeaseHeld)
}

// TakeOverLeases ends at once every lease that owner holds and bumps its fencing
// token, for a node that the cluster declared dead: another node may acquire the
// conversations right away instead of waiting for the leases to lapse, and if the
// "dead" node was only frozen, its renewals and fenced commits now fail (its
// token is stale), so it stops its CLI processes instead of writing. It returns
// how many leases it ended.
func (s *sqlStore) TakeOverLeases(ctx context.Context, owner string) (int64, error) {
	if owner == "" {
		return 0, fmt.Errorf("store: take over leases: empty owner")
	}
	res, err := s.wr().exec(ctx, `UPDATE conversation_leases SET expires_at = ?, token = token + 1
		WHERE owner = ? AND expires_at > ?`,
		s.d.timeArg(time.Unix(0, 0).UTC()), owner, s.d.timeArg(s.nowUTC()))
	if err != nil {
		return 0, s.d.wrap(err, "take over leases of "+owner)
	}
	n, err := res.RowsAffected()
	return n, s.d.wrap(err, "take over leases of "+owner)
}
