package datadir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTenantRefusesIDsThatNameAnotherDirectory(t *testing.T) {
	l := New(t.TempDir())
	for _, id := range []string{"", ".", "..", "a/b", `a\b`, "../x"} {
		if _, err := l.Tenant(id); err == nil {
			t.Errorf("key id %q accepted", id)
		}
	}
	d, err := l.Tenant("k1")
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(l.Root(), "tenants", "k1")
	if d.Base != want || d.Config != filepath.Join(want, "claude") || d.Work != filepath.Join(want, "work") {
		t.Fatalf("tenant dirs %+v under %s", d, want)
	}
}

func TestNewIsAbsolute(t *testing.T) {
	if r := New("data").Root(); !filepath.IsAbs(r) || filepath.Base(r) != "data" {
		t.Fatalf("root %q", r)
	}
}

// TestSessionFiles: a restored session is where the CLI reads it, with no
// temporary file left; dropping it is idempotent; removing a session deletes
// every file and directory named after it and nothing of another session.
func TestSessionFiles(t *testing.T) {
	d, err := New(t.TempDir()).Tenant("k1")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Make(); err != nil {
		t.Fatal(err)
	}
	const sid, other = "0b9c2b1e-1111-4a3c-9d1e-000000000001", "0b9c2b1e-2222-4a3c-9d1e-000000000002"
	for _, id := range []string{sid, other} {
		if err := d.RestoreSession(id, []byte(id+"\n")); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(d.SessionFile(sid))
	if err != nil || string(b) != sid+"\n" {
		t.Fatalf("restored session file: %q %v", b, err)
	}
	if !strings.HasPrefix(d.SessionFile(sid), filepath.Join(d.Config, "projects")+string(filepath.Separator)) {
		t.Fatalf("session file %s is outside the config dir's projects", d.SessionFile(sid))
	}
	if _, err := os.Stat(d.SessionFile(sid) + ".restore"); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("temporary file left: %v", err)
	}
	todo := filepath.Join(d.Config, "todos", sid+"-agent.json")
	if err := os.MkdirAll(filepath.Dir(todo), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(todo, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveSession(sid); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{d.SessionFile(sid), todo} {
		if _, err := os.Stat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s survived its session's removal: %v", p, err)
		}
	}
	if _, err := os.Stat(d.SessionFile(other)); err != nil {
		t.Errorf("another session's file was removed: %v", err)
	}
	for range 2 {
		if err := d.DropSessionFile(other); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.RemoveSession(""); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Config); err != nil {
		t.Fatalf("removing no session touched the config dir: %v", err)
	}
}
