package store

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSQLiteFilesAreOwnerOnly replays issue 13 item 10: the SQLite database and
// its -wal and -shm files (signing secrets, conversation text) were created 0644.
// New files are 0600 under a permissive umask, files an older version left 0644
// are tightened at open, and a loose data dir is reported.
func TestSQLiteFilesAreOwnerOnly(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	check := func(t *testing.T, dir string) {
		t.Helper()
		st, err := Open(ctx, "", dir)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateAPIKey(ctx, &APIKey{ID: "k-" + filepath.Base(dir), Name: "n", Hash: "h-" + filepath.Base(dir),
			Prefix: "p", Status: KeyActive, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, DefaultSQLiteFile)
		for _, p := range []string{db, db + "-wal", db + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %04o, want 0600", filepath.Base(p), fi.Mode().Perm())
			}
		}
	}
	t.Run("new files", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "data")
		check(t, dir)
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("new data dir has mode %04o, want 0700", fi.Mode().Perm())
		}
		if w := DataDirWarning(dir); w != "" {
			t.Errorf("warning on a 0700 dir: %s", w)
		}
	})
	t.Run("loose files from before", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		db := filepath.Join(dir, DefaultSQLiteFile)
		for _, p := range []string{db, db + "-wal", db + "-shm"} {
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		check(t, dir)
		if w := DataDirWarning(dir); !strings.Contains(w, "0755") || !strings.Contains(w, "chmod 700") {
			t.Errorf("warning on a 0755 data dir = %q", w)
		}
	})
}
