package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver for schema setup

	"github.com/ccgateway/ccgateway/internal/store"
)

// PostgresEnv names the variable holding the URL of a PostgreSQL server for tests.
const PostgresEnv = "CCGATEWAY_TEST_DATABASE_URL"

// PostgresURL creates a schema with a random name on the server named by
// CCGATEWAY_TEST_DATABASE_URL, drops it at cleanup, and returns a URL whose
// search_path points at it. Without the variable the test is skipped, except
// with CI=true, where it fails: CI must test PostgreSQL.
func PostgresURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s must be set when CI=true", PostgresEnv)
		}
		t.Skipf("%s not set", PostgresEnv)
	}
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close() })
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// OpenPostgres opens a migrated store in a fresh schema (see PostgresURL); it is
// closed at cleanup, before the schema is dropped.
func OpenPostgres(t testing.TB) store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), PostgresURL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}
