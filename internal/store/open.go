package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	_ "modernc.org/sqlite"             // registers the "sqlite" database/sql driver
)

// DefaultSQLiteFile is the database file Open uses inside the data dir when no URL
// is configured.
const DefaultSQLiteFile = "ccgateway.db"

// sqlitePragmas configure every SQLite connection: WAL so readers never block the
// writer, a busy timeout for other processes holding the file, foreign keys, and
// IMMEDIATE transactions so a transaction takes the write lock up front instead
// of failing to upgrade it later.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)" +
	"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Open connects to the database that url names; it does not migrate (call
// Migrate). The URL scheme picks the driver:
//
//   - "" opens the SQLite file <dataDir>/ccgateway.db, creating dataDir;
//   - "sqlite://<path>" or "file:<path>[?params]" open that SQLite file;
//   - "postgres://..." or "postgresql://..." open PostgreSQL through pgx; query
//     parameters such as search_path are sent as run-time parameters.
func Open(ctx context.Context, url string, dataDir string) (Store, error) {
	var (
		s   *sqlStore
		err error
	)
	switch {
	case url == "":
		if dataDir == "" {
			return nil, fmt.Errorf("store: open: neither a database url nor a data dir is set")
		}
		if err := os.MkdirAll(dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("store: open: %w", err)
		}
		s, err = openSQLite(filepath.Join(dataDir, DefaultSQLiteFile))
	case strings.HasPrefix(url, "sqlite://"):
		s, err = openSQLite(strings.TrimPrefix(url, "sqlite://"))
	case strings.HasPrefix(url, "file:"):
		s, err = openSQLite(url)
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		s, err = openPostgres(url)
	default:
		return nil, fmt.Errorf("store: open: unsupported database url scheme in %q", redact(url))
	}
	if err != nil {
		return nil, err
	}
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// openSQLite opens a writer pool of one connection and, for files, a read-only
// pool sized to the machine.
func openSQLite(dsn string) (*sqlStore, error) {
	path, params, _ := strings.Cut(dsn, "?")
	if path == "" || path == "file:" {
		return nil, fmt.Errorf("store: open: empty sqlite path")
	}
	if !strings.HasPrefix(path, "file:") {
		path = "file:" + path
	}
	base := path + "?" + sqlitePragmas
	if params != "" {
		base += "&" + params
	}
	w, err := sql.Open("sqlite", base)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &sqlStore{d: sqliteDialect(), w: w, r: w, now: time.Now}
	s.wc = newStmtCache(w)
	s.rc = s.wc
	if strings.Contains(path, ":memory:") || strings.Contains(params, "mode=memory") {
		return s, nil // a second pool would see a different in-memory database
	}
	if err := privateDBFiles(strings.TrimPrefix(path, "file:")); err != nil {
		_ = w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", base+"&_pragma=query_only(1)")
	if err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r, s.rc = r, newStmtCache(r)
	return s, nil
}

// openPostgres opens a pgx-backed database/sql pool.
func openPostgres(url string) (*sqlStore, error) {
	db, err := sql.Open("pgx", url)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(10)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &sqlStore{d: postgresDialect(), w: db, r: db, now: time.Now}, nil
}

// Ping checks that the database answers; for SQLite it opens the writer first so
// the file exists and is in WAL mode before any reader connects.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.d.name, err)
	}
	if s.r != s.w {
		if err := s.r.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s reader: %w", s.d.name, err)
		}
	}
	return nil
}

// Close closes both pools.
func (s *sqlStore) Close() error {
	var err error
	s.rc.close()
	s.wc.close()
	if s.r != s.w {
		err = s.r.Close()
	}
	if werr := s.w.Close(); werr != nil {
		err = werr
	}
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// redact hides a password in a URL for error messages.
func redact(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	userinfo, host, ok := strings.Cut(rest, "@")
	if !ok {
		return url
	}
	user, _, hasPassword := strings.Cut(userinfo, ":")
	if !hasPassword {
		return url
	}
	return scheme + "://" + user + ":***@" + host
}

// privateDBFiles makes the SQLite database file owner-only before SQLite opens
// it: the file holds signing secrets and conversation text. SQLite creates the
// -wal and -shm files with the main file's mode, so creating it 0600 covers them;
// files an older version left 0644 are tightened, journals included.
func privateDBFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	_ = f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, 0o600); err != nil {
				return fmt.Errorf("store: open sqlite: %w", err)
			}
		}
	}
	return nil
}

// DataDirWarning returns a warning when dir (the data dir: database, CLI
// transcripts, secrets) can be read or entered by its group or by other users,
// or "" when it is owner-only or does not exist. New data dirs are created 0700;
// an existing one keeps its mode, so the operator is told at start.
func DataDirWarning(dir string) string {
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("data dir %s has mode %04o: other local users may read the database, transcripts and secrets; run chmod 700 %s",
		dir, fi.Mode().Perm(), dir)
}
