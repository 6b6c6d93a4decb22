package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/store"
)

// newKey creates an active key with a unique hash, after applying mods.
func newKey(t testing.TB, s store.Store, mods ...func(*store.APIKey)) *store.APIKey {
	t.Helper()
	k := &store.APIKey{ID: uuid.NewString(), Name: "key", Prefix: "sk-ccg-Ab", Hash: uuid.NewString(), Status: store.KeyActive}
	for _, m := range mods {
		m(k)
	}
	noErr(t, s.CreateAPIKey(t.Context(), k))
	return k
}

func testAdmins(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	a := &store.Admin{Username: "root", PasswordHash: "h1"}
	t.Run("insert sets id", func(t *testing.T) {
		noErr(t, s.UpsertAdmin(ctx, a))
		if a.ID == "" {
			t.Fatal("ID not set")
		}
		got, err := s.GetAdminByUsername(ctx, "root")
		noErr(t, err)
		equal(t, "admin", got, a)
		isUTC(t, got.CreatedAt, got.UpdatedAt)
	})
	t.Run("upsert keeps id and created_at", func(t *testing.T) {
		b := &store.Admin{Username: "root", PasswordHash: "h2"}
		noErr(t, s.UpsertAdmin(ctx, b))
		got, err := s.GetAdminByUsername(ctx, "root")
		noErr(t, err)
		equal(t, "id", got.ID, a.ID)
		equal(t, "hash", got.PasswordHash, "h2")
		equal(t, "created_at", got.CreatedAt, a.CreatedAt)
		equal(t, "returned id", b.ID, a.ID)
	})
	t.Run("not found", func(t *testing.T) {
		_, err := s.GetAdminByUsername(ctx, "nobody")
		isErr(t, err, store.ErrNotFound)
	})
	t.Run("token version", func(t *testing.T) {
		c := &store.Admin{Username: "versioned", PasswordHash: "h1"}
		noErr(t, s.UpsertAdmin(ctx, c))
		equal(t, "new admin's version", c.TokenVersion, int64(1))
		// A password reset revokes the tokens issued before it.
		noErr(t, s.UpsertAdmin(ctx, &store.Admin{Username: "versioned", PasswordHash: "h2"}))
		got, err := s.GetAdminByUsername(ctx, "versioned")
		noErr(t, err)
		equal(t, "version after a reset", got.TokenVersion, int64(2))
		// So does a logout, and only for that admin.
		v, err := s.RevokeAdminTokens(ctx, "versioned")
		noErr(t, err)
		equal(t, "version after a logout", v, int64(3))
		got, err = s.GetAdminByUsername(ctx, "versioned")
		noErr(t, err)
		equal(t, "stored version", got.TokenVersion, int64(3))
		other, err := s.GetAdminByUsername(ctx, "root")
		noErr(t, err)
		equal(t, "other admin's version", other.TokenVersion, int64(2))
		_, err = s.RevokeAdminTokens(ctx, "nobody")
		isErr(t, err, store.ErrNotFound)
	})
}

func testAPIKeys(t *testing.T, open Open) {
	eachFresh(t, open, []storeCase{
		{"round trip", keyRoundTrip},
		{"conflicts", keyConflicts},
		{"by hash", keyByHash},
		{"list", keyList},
		{"update", keyUpdate},
		{"delete", keyDelete},
		{"touch", keyTouch},
	})
}

func keyRoundTrip(t *testing.T, s store.Store) {
	k := newKey(t, s, func(k *store.APIKey) {
		k.Name = "full"
		k.CreatedAt = at(0)
		k.ExpiresAt = ptr(at(24 * time.Hour))
		k.UsageLimit = store.UsageLimit{RequestsPerMinute: 60, RequestsPerDay: 1000, TokensPerDay: 1e6}
		k.Permissions = store.Permissions{Models: []string{"opus", "sonnet"}, MaxTokens: 4096, AllowStreaming: true}
		k.Metadata = store.KeyMetadata{UserID: "u1", Project: "p1", Description: "d1"}
		k.MaxConcurrentRequests = 4
		k.CostUSDPerDay = 12.5
		k.AllowedIPs = []string{"10.0.0.0/8", "::1/128"}
		k.RequireSignature = true
		k.SigningSecret = "secret"
		k.Tools = []string{"Read"}
		k.PrevHash = "old-" + k.Hash
		k.PrevHashExpiresAt = ptr(at(time.Hour))
	})
	got, err := s.GetAPIKey(t.Context(), k.ID)
	noErr(t, err)
	equal(t, "key", got, k)
	isUTC(t, got.CreatedAt, got.UpdatedAt, *got.ExpiresAt, *got.PrevHashExpiresAt)
	equal(t, "created_at", got.CreatedAt, at(0))

	t.Run("defaults", func(t *testing.T) {
		k := newKey(t, s, func(k *store.APIKey) { k.ID, k.Status = "", "" })
		got, err := s.GetAPIKey(t.Context(), k.ID)
		noErr(t, err)
		equal(t, "status", got.Status, store.KeyActive)
		if got.ExpiresAt != nil || got.LastUsedAt != nil || got.PrevHashExpiresAt != nil || got.PrevHash != "" {
			t.Fatalf("optional fields set: %+v", got)
		}
	})
	t.Run("not found", func(t *testing.T) {
		_, err := s.GetAPIKey(t.Context(), uuid.NewString())
		isErr(t, err, store.ErrNotFound)
	})
}

func keyConflicts(t *testing.T, s store.Store) {
	k := newKey(t, s)
	tests := []struct {
		name string
		key  store.APIKey
	}{
		{"same hash", store.APIKey{ID: uuid.NewString(), Name: "x", Hash: k.Hash}},
		{"same id", store.APIKey{ID: k.ID, Name: "x", Hash: uuid.NewString()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			isErr(t, s.CreateAPIKey(t.Context(), &tc.key), store.ErrConflict)
		})
	}
}

func keyByHash(t *testing.T, s store.Store) {
	now := time.Now()
	live := newKey(t, s, func(k *store.APIKey) { k.PrevHash, k.PrevHashExpiresAt = "prev-live", ptr(now.Add(time.Hour)) })
	newKey(t, s, func(k *store.APIKey) { k.PrevHash, k.PrevHashExpiresAt = "prev-expired", ptr(now.Add(-time.Second)) })
	newKey(t, s, func(k *store.APIKey) { k.PrevHash = "prev-no-expiry" })
	tests := []struct {
		name, hash string
		wantID     string // "" = ErrNotFound
	}{
		{"current hash", live.Hash, live.ID},
		{"previous hash in grace period", "prev-live", live.ID},
		{"previous hash expired", "prev-expired", ""},
		{"previous hash without expiry", "prev-no-expiry", ""},
		{"unknown", "nope", ""},
		{"empty", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.GetAPIKeyByHash(t.Context(), tc.hash)
			if tc.wantID == "" {
				isErr(t, err, store.ErrNotFound)
				return
			}
			noErr(t, err)
			equal(t, "id", got.ID, tc.wantID)
		})
	}
}

func keyList(t *testing.T, s store.Store) {
	for i := range 7 {
		newKey(t, s, func(k *store.APIKey) {
			k.Name = []string{"Alpha", "beta", "gamma_1", "delta%"}[i%4]
			k.CreatedAt = at(time.Duration(i) * time.Minute)
			k.Metadata.Project = []string{"Apollo", "zeus"}[i%2]
			if i >= 5 {
				k.Status = store.KeySuspended
			}
		})
	}
	checkPages(t, []pageCase[store.KeyFilter]{
		{"all, default limit", store.KeyFilter{}, 7, 7},
		{"first page", store.KeyFilter{Limit: 3}, 3, 7},
		{"last page", store.KeyFilter{Limit: 3, Offset: 6}, 1, 7},
		{"past the end", store.KeyFilter{Limit: 3, Offset: 9}, 0, 7},
		{"status", store.KeyFilter{Status: store.KeySuspended}, 2, 2},
		{"search name, any case", store.KeyFilter{Search: "ALPHA"}, 2, 2},
		{"search metadata", store.KeyFilter{Search: "apol"}, 4, 4},
		{"search escapes %", store.KeyFilter{Search: "a%"}, 1, 1},
		{"search escapes _", store.KeyFilter{Search: "a_"}, 2, 2},
		{"search and status", store.KeyFilter{Search: "zeus", Status: store.KeyActive}, 2, 2},
	}, s.ListAPIKeys)
	t.Run("newest first", func(t *testing.T) {
		got, _, err := s.ListAPIKeys(t.Context(), store.KeyFilter{})
		noErr(t, err)
		for i := 1; i < len(got); i++ {
			if got[i].CreatedAt.After(got[i-1].CreatedAt) {
				t.Fatalf("key %d created after key %d", i, i-1)
			}
		}
	})
}
