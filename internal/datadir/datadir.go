// Package datadir is the layout of a node's data directory, in one place:
//
//	<data-dir>/
//	  .lock                  serve's exclusive lock (the holder's pid)
//	  ccgateway.db           the embedded SQLite store when no database URL is set
//	                         (store.DefaultSQLiteFile; the store opens it)
//	  jwt-secret             the admin-token secret, generated once when none is set
//	  policy-cache/          compiled WASM policies, by module hash
//	  tenants/<key id>/      one API key's CLI state
//	    claude/              its CLAUDE_CONFIG_DIR: sessions, transcripts, tool results
//	    work/                the CLI's working directory
//	  spares/<id>/           a prewarmed process's own claude/ and work/, removed
//	                         with the process (and at every start)
//
// A conversation's session file lives under its key's claude/ directory where the
// CLI puts it (claudecli.TranscriptPath); RestoreSession writes the store's copy
// there before a --resume, RemoveSession deletes what a session left. Everything
// here is node-local: the store is the truth, and a lost data dir costs only live
// processes and the policy cache.
package datadir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ccgateway/ccgateway/internal/claudecli"
)

// Layout names the paths of one data dir. The zero value is not usable: use New.
type Layout struct {
	root string // absolute
}

// New returns the layout of the data dir at root, made absolute (the CLI runs in
// other working directories; an empty root is the working directory).
func New(root string) Layout {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	return Layout{root: root}
}

// Root is the data dir itself.
func (l Layout) Root() string { return l.root }

// Lock is the file serve locks for its lifetime.
func (l Layout) Lock() string { return filepath.Join(l.root, ".lock") }

// JWTSecret is the generated admin-token secret.
func (l Layout) JWTSecret() string { return filepath.Join(l.root, "jwt-secret") }

// PolicyCache is the compiled-policy cache directory.
func (l Layout) PolicyCache() string { return filepath.Join(l.root, "policy-cache") }

// Tenants holds one directory per API key that ran a CLI process on this node.
func (l Layout) Tenants() string { return filepath.Join(l.root, "tenants") }

// Spares holds the directories of prewarmed processes.
func (l Layout) Spares() string { return filepath.Join(l.root, "spares") }

// Tenant is the directory of a key's CLI state. A key id that could name another
// directory (empty, ".", "..", or with a separator) is refused.
func (l Layout) Tenant(keyID string) (CLIDirs, error) {
	if keyID == "" || strings.ContainsAny(keyID, `/\`) || keyID == "." || keyID == ".." {
		return CLIDirs{}, fmt.Errorf("datadir: bad key id %q", keyID)
	}
	return cliDirs(filepath.Join(l.Tenants(), keyID)), nil
}

// Spare is the directory of the prewarmed process id (a uuid the pool makes).
func (l Layout) Spare(id string) CLIDirs { return cliDirs(filepath.Join(l.Spares(), id)) }

// CLIDirs are the directories one CLI process runs with.
type CLIDirs struct {
	Base   string // removed as a whole with its key or its spare
	Config string // CLAUDE_CONFIG_DIR
	Work   string // the process's working directory
}

func cliDirs(base string) CLIDirs {
	return CLIDirs{Base: base, Config: filepath.Join(base, "claude"), Work: filepath.Join(base, "work")}
}

// Make creates the config and work directories (mode 0700).
func (d CLIDirs) Make() error {
	for _, dir := range []string{d.Config, d.Work} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("datadir: %w", err)
		}
	}
	return nil
}

// SessionFile is where the CLI keeps sessionID's transcript for a process run in d.
func (d CLIDirs) SessionFile(sessionID string) string {
	return claudecli.TranscriptPath(d.Config, d.Work, sessionID)
}

// RestoreSession writes data as sessionID's session file through a rename, so the
// CLI never reads a half-written file.
func (d CLIDirs) RestoreSession(sessionID string, data []byte) error {
	path := d.SessionFile(sessionID)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("datadir: restore session: %w", err)
	}
	tmp := path + ".restore"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("datadir: restore session: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("datadir: restore session: %w", err)
	}
	return nil
}

// DropSessionFile removes sessionID's session file, if any (a stale one left by a
// turn that failed before it was stored).
func (d CLIDirs) DropSessionFile(sessionID string) error {
	if err := os.Remove(d.SessionFile(sessionID)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("datadir: stale session file: %w", err)
	}
	return nil
}

// RemoveSession deletes every file and directory of sessionID under the config
// dir (transcript, tool results, todos, session env).
func (d CLIDirs) RemoveSession(sessionID string) error {
	if sessionID == "" {
		return nil
	}
	var doomed []string
	_ = filepath.WalkDir(d.Config, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.Contains(e.Name(), sessionID) {
			doomed = append(doomed, p)
			if e.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	var errs []error
	for _, p := range doomed {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, fmt.Errorf("datadir: remove session file: %w", err))
		}
	}
	return errors.Join(errs...)
}
