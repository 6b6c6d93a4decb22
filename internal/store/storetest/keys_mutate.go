package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

func keyUpdate(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey(t, s, func(k *store.APIKey) { k.CreatedAt = at(0) })
	other := newKey(t, s)
	t.Run("every mutable field", func(t *testing.T) {
		before := k.UpdatedAt
		k.Name = "renamed"
		k.Status = store.KeySuspended
		k.PrevHash, k.PrevHashExpiresAt = k.Hash, ptr(at(time.Hour))
		k.Hash = uuid.NewString()
		k.Prefix = "sk-ccg-Zz"
		k.ExpiresAt = ptr(at(48 * time.Hour))
		k.UsageLimit.TokensPerDay = 5
		k.Permissions.Models = []string{"haiku"}
		k.Metadata.Description = "changed"
		k.MaxConcurrentRequests = 9
		k.CostUSDPerDay = 1.25
		k.AllowedIPs = []string{"192.168.0.0/16"}
		k.RequireSignature = true
		k.SigningSecret = "s2"
		k.Tools = []string{"Bash", "Read"}
		noErr(t, s.UpdateAPIKey(ctx, k))
		if k.UpdatedAt.Before(before) {
			t.Fatalf("UpdatedAt went back: %v < %v", k.UpdatedAt, before)
		}
		got, err := s.GetAPIKey(ctx, k.ID)
		noErr(t, err)
		equal(t, "key", got, k)
		equal(t, "created_at", got.CreatedAt, at(0))
	})
	t.Run("hash of another key conflicts", func(t *testing.T) {
		c := *k
		c.Hash = other.Hash
		isErr(t, s.UpdateAPIKey(ctx, &c), store.ErrConflict)
	})
	t.Run("not found", func(t *testing.T) {
		c := *k
		c.ID = uuid.NewString()
		c.Hash = uuid.NewString()
		isErr(t, s.UpdateAPIKey(ctx, &c), store.ErrNotFound)
	})
}

func keyDelete(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey(t, s)
	c := newConversation(t, s, k.ID)
	noErr(t, s.DeleteAPIKey(ctx, k.ID))
	_, err := s.GetAPIKey(ctx, k.ID)
	isErr(t, err, store.ErrNotFound)
	t.Run("conversations go with the key", func(t *testing.T) {
		_, err := s.GetConversation(ctx, k.ID, c.ID)
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("twice", func(t *testing.T) {
		isErr(t, s.DeleteAPIKey(ctx, k.ID), store.ErrNotFound)
	})
}

func keyTouch(t *testing.T, s store.Store) {
	ctx := t.Context()
	k := newKey(t, s)
	tests := []struct {
		name string
		at   time.Time
		want time.Time
	}{
		{"first use", at(time.Minute), at(time.Minute)},
		{"later use", at(time.Hour), at(time.Hour)},
		{"never backwards", at(time.Second), at(time.Hour)},
		{"non-UTC input", at(2 * time.Hour).In(time.FixedZone("x", 3600)), at(2 * time.Hour)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			noErr(t, s.TouchAPIKey(ctx, k.ID, tc.at))
			got, err := s.GetAPIKey(ctx, k.ID)
			noErr(t, err)
			equal(t, "last_used_at", got.LastUsedAt, &tc.want)
		})
	}
	t.Run("not found", func(t *testing.T) {
		isErr(t, s.TouchAPIKey(ctx, uuid.NewString(), at(0)), store.ErrNotFound)
	})
}
