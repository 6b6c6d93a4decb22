package claudecli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// prepareConfigDir creates dir and seeds its .claude.json, so that the CLI's first
// run neither shows onboarding nor races other processes creating the file.
func prepareConfigDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("claudecli: config dir: %w", err)
	}
	path := filepath.Join(dir, ".claude.json")
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	seed := fmt.Sprintf(`{"firstStartTime":%q,"hasCompletedOnboarding":true}`+"\n",
		time.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
	tmp, err := os.CreateTemp(dir, ".claude.json.seed-*")
	if err != nil {
		return fmt.Errorf("claudecli: seed .claude.json: %w", err)
	}
	_, werr := tmp.WriteString(seed)
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("claudecli: seed .claude.json: %v %v", werr, cerr)
	}
	// Link fails if another starter won the race; either way one seed is in place.
	_ = os.Link(tmp.Name(), path)
	_ = os.Remove(tmp.Name())
	return nil
}

// maxSanitized is the length at which the CLI truncates a project directory name
// and appends a hash of the full path.
const maxSanitized = 200

// TranscriptPath returns where the CLI keeps the transcript of sessionID for a
// process run with CLAUDE_CONFIG_DIR=configDir in workDir:
// <configDir>/projects/<sanitized realpath of workDir>/<sessionID>.jsonl. The CLI
// resolves symlinks in its cwd first, and replaces every character outside
// [A-Za-z0-9] with '-'; names longer than 200 characters are cut to 200 and get
// "-" plus a base-36 hash of the path appended (measured on 2.1.332).
func TranscriptPath(configDir, workDir, sessionID string) string {
	if real, err := filepath.EvalSymlinks(workDir); err == nil {
		workDir = real
	}
	return filepath.Join(configDir, "projects", projectDirName(workDir), sessionID+".jsonl")
}

// projectDirName sanitizes a cwd the way the CLI names its project directory.
func projectDirName(cwd string) string {
	var b strings.Builder
	for _, r := range cwd {
		if r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			// JavaScript replaces per UTF-16 unit: characters outside the BMP count twice.
			b.WriteByte('-')
			if r > 0xFFFF {
				b.WriteByte('-')
			}
		}
	}
	s := b.String()
	if len(s) <= maxSanitized {
		return s
	}
	return s[:maxSanitized] + "-" + strconv.FormatInt(abs(javaHash(cwd)), 36)
}

// javaHash is the 32-bit string hash the CLI uses (h = h*31 + c over UTF-16 units).
func javaHash(s string) int64 {
	var h int32
	for _, r := range s {
		if r > 0xFFFF {
			r -= 0x10000
			h = h*31 + int32(0xD800+(r>>10))
			h = h*31 + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = h*31 + int32(r)
	}
	return int64(h)
}

// abs returns |x|.
func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// tailBuffer keeps the last n bytes written to it (the CLI's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	n   int
	buf []byte
}

// newTailBuffer returns a tailBuffer keeping n bytes.
func newTailBuffer(n int) *tailBuffer { return &tailBuffer{n: n} }

// Write appends p, dropping the oldest bytes beyond the limit.
func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.n {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.n:]...)
	}
	return len(p), nil
}

// String returns the kept bytes, trimmed.
func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

// promptDir is the directory, inside a tenant's config dir, of the system prompt
// files of its running processes.
const promptDir = "system-prompts"

// writeSystemPrompt writes spec's system prompt to <ConfigDir>/system-prompts/
// <sessionID>.txt (directory 0700, file 0600) for --system-prompt-file, and
// returns the path; "" when the prompt is empty. One process runs a session at a
// time, so the file is the session's own; the process removes it when it exits.
func writeSystemPrompt(spec Spec, sessionID string) (string, error) {
	if spec.SystemPrompt == "" {
		return "", nil
	}
	dir := filepath.Join(spec.ConfigDir, promptDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("claudecli: system prompt dir: %w", err)
	}
	path := filepath.Join(dir, sessionID+".txt")
	tmp, err := os.CreateTemp(dir, ".prompt-*")
	if err != nil {
		return "", fmt.Errorf("claudecli: system prompt: %w", err)
	}
	_, werr := tmp.WriteString(spec.SystemPrompt)
	cerr := tmp.Close()
	if werr == nil && cerr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil || cerr != nil {
		_ = os.Remove(tmp.Name())
		return "", fmt.Errorf("claudecli: system prompt: %w", errors.Join(werr, cerr))
	}
	return path, nil
}
