package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
)

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openSQLite(t) })
}

func TestPostgres(t *testing.T) {
	storetest.Run(t, postgresOpener(t))
}

// openSQLite opens a migrated store in a fresh temporary data dir.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	return migrated(t, freshSQLite(t, t.TempDir()))
}

// freshSQLite opens the store of dataDir without migrating it.
func freshSQLite(t testing.TB, dataDir string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), "", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	return closed(t, s)
}

// postgresOpener returns a function that opens a migrated store in a fresh
// schema (storetest.PostgresURL: skipped without a server, except under CI).
func postgresOpener(t testing.TB) func(t *testing.T) store.Store {
	storetest.PostgresURL(t) // skip or fail now, not in every subtest
	return func(t *testing.T) store.Store { return openPostgres(t) }
}

// openPostgres opens a migrated store in a fresh schema.
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	return migrated(t, freshPostgres(t))
}

// freshPostgres opens a store on a new, empty schema without migrating it.
func freshPostgres(t testing.TB) store.Store {
	t.Helper()
	return openURL(t, storetest.PostgresURL(t))
}

// openURL opens the store at url without migrating it.
func openURL(t testing.TB, url string) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), url, "")
	if err != nil {
		t.Fatal(err)
	}
	return closed(t, s)
}

// closed closes s at cleanup (registered last, so run before any schema drop).
func closed(t testing.TB, s store.Store) store.Store {
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

// migrated migrates s.
func migrated(t testing.TB, s store.Store) store.Store {
	t.Helper()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, url, dataDir string
		wantFile           string // "" = expect an error
	}{
		{"default file in the data dir", "", filepath.Join(dir, "data"), filepath.Join(dir, "data", store.DefaultSQLiteFile)},
		{"sqlite scheme", "sqlite://" + filepath.Join(dir, "a.db"), "", filepath.Join(dir, "a.db")},
		{"file scheme with params", "file:" + filepath.Join(dir, "b.db") + "?cache=private", "", filepath.Join(dir, "b.db")},
		{"no url, no data dir", "", "", ""},
		{"unknown scheme", "mysql://u:pw@host/db", "", ""},
		{"empty sqlite path", "sqlite://", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := store.Open(t.Context(), tc.url, tc.dataDir)
			if tc.wantFile == "" {
				if err == nil {
					_ = s.Close()
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if err := s.Migrate(t.Context()); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(tc.wantFile); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func BenchmarkInsertUsageEvents(b *testing.B) {
	backends := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"sqlite", func(b *testing.B) store.Store { return openSQLite(b) }},
		{"postgres", func(b *testing.B) store.Store {
			return openPostgres(b)
		}},
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			const batch = 100
			now := time.Now()
			n := 0
			for b.Loop() {
				n++
				events := make([]*store.UsageEvent, batch)
				for i := range events {
					events[i] = &store.UsageEvent{APIKeyID: "k", Timestamp: now, Model: "sonnet",
						StatusCode: 200, TotalTokens: 42, ResponseTimeMS: 800}
				}
				if err := s.InsertUsageEvents(context.Background(), events); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// TestTranscriptUpgradeKeepsTheBytes: a transcript stored by a release before
// migration 8 (its base in the cli_transcripts row, a piece appended as chunk 1)
// reads back the same after the upgrade moved the base to chunk 0, and the next
// commit appends to it.
func TestTranscriptUpgradeKeepsTheBytes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fresh func(t *testing.T) store.Store
	}{
		{"sqlite", func(t *testing.T) store.Store { return freshSQLite(t, t.TempDir()) }},
		{"postgres", func(t *testing.T) store.Store { return freshPostgres(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			st := tc.fresh(t)
			if err := store.MigrateTo(ctx, st, 7); err != nil {
				t.Fatal(err)
			}
			k := &store.APIKey{Name: "k", Prefix: "sk-ccg-u", Hash: "h", Status: store.KeyActive}
			if err := st.CreateAPIKey(ctx, k); err != nil {
				t.Fatal(err)
			}
			c := &store.Conversation{APIKeyID: k.ID, SessionID: "s", Metadata: map[string]string{}}
			if err := st.CreateConversation(ctx, c); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte("one\ntwo\n"))
			if err := store.Exec(ctx, st, `INSERT INTO cli_transcripts (conversation_id, session_id, data, size, sha256, chunks, updated_at)
				VALUES (?, 's', ?, 8, ?, 1, ?)`, c.ID, []byte("one\n"), hex.EncodeToString(sum[:]), store.TimeArg(st, time.Now())); err != nil {
				t.Fatal(err)
			}
			if err := store.Exec(ctx, st, `INSERT INTO cli_transcript_chunks (conversation_id, seq, data) VALUES (?, 1, ?)`, c.ID, []byte("two\n")); err != nil {
				t.Fatal(err)
			}
			if err := st.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			tr, err := st.GetTranscript(ctx, c.ID)
			if err != nil || string(tr.Data) != "one\ntwo\n" || tr.SessionID != "s" {
				t.Fatalf("after the upgrade: %+v %v, want session s with one\\ntwo\\n", tr, err)
			}
			lease, err := st.AcquireLease(ctx, c.ID, "node", time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			msgs := []*store.Message{{Role: "user", Content: "hi"}, {ID: "m1", Role: "assistant", Content: "x"}}
			if err := st.CommitTurn(ctx, lease, msgs, &store.Transcript{SessionID: "s", Data: []byte("one\ntwo\nthree\n")}); err != nil {
				t.Fatal(err)
			}
			if tr, err = st.GetTranscript(ctx, c.ID); err != nil || string(tr.Data) != "one\ntwo\nthree\n" {
				t.Fatalf("the commit after the upgrade: %+v %v", tr, err)
			}
		})
	}
}
