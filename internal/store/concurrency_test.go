package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
)

// TestConcurrentMigrate runs Migrate on a fresh database from several stores at
// once, as nodes of a cluster do at start-up.
func TestConcurrentMigrate(t *testing.T) {
	backends := []struct {
		name  string
		fresh func(t *testing.T, n int) []store.Store
	}{
		{"sqlite", func(t *testing.T, n int) []store.Store {
			dir := t.TempDir()
			return repeat(n, func() store.Store { return freshSQLite(t, dir) })
		}},
		{"postgres", func(t *testing.T, n int) []store.Store {
			url := storetest.PostgresURL(t)
			return repeat(n, func() store.Store { return openURL(t, url) })
		}},
	}
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			stores := be.fresh(t, 4)
			var wg sync.WaitGroup
			errs := make(chan error, len(stores))
			for _, s := range stores {
				wg.Go(func() { errs <- s.Migrate(context.Background()) })
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestSQLiteTwoProcesses writes to one SQLite file through two stores at once,
// as a CLI subcommand does next to a running server; busy_timeout and IMMEDIATE
// transactions must keep SQLITE_BUSY away.
func TestSQLiteTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	a := migrated(t, freshSQLite(t, dir))
	b := freshSQLite(t, dir)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for _, s := range []store.Store{a, b} {
		wg.Go(func() {
			for range 20 {
				errs <- s.InsertUsageEvents(context.Background(), []*store.UsageEvent{{APIKeyID: "k"}, {APIKeyID: "k"}})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sum, err := a.SumUsage(context.Background(), store.UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Requests != 80 {
		t.Fatalf("requests = %d, want 80", sum.Requests)
	}
}

func repeat(n int, f func() store.Store) []store.Store {
	out := make([]store.Store, n)
	for i := range out {
		out[i] = f()
	}
	return out
}
