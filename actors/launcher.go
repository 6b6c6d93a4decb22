package actors

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/conversation"
	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/datadir"
)

// launcher starts CLI processes in per-tenant directories (prewarmed spares in
// their own directories) and removes sessions' files; internal/datadir says where.
type launcher struct {
	cfg  claudecli.Config
	dirs datadir.Layout
	log  *slog.Logger
}

var _ conversation.Launcher = (*launcher)(nil)

func newLauncher(cfg Config, log *slog.Logger) (*launcher, error) {
	dirs := datadir.New(cfg.DataDir)
	if err := os.MkdirAll(dirs.Root(), 0o700); err != nil {
		return nil, fmt.Errorf("actors: %w", err)
	}
	// Spares of a previous run are orphans: their transcripts are in the store.
	_ = os.RemoveAll(dirs.Spares())
	return &launcher{cfg: cfg.CLI, dirs: dirs, log: log}, nil
}

// tenantDirs returns the key's CLI directories, made.
func (l *launcher) tenantDirs(keyID string) (datadir.CLIDirs, error) {
	d, err := l.dirs.Tenant(keyID)
	if err == nil {
		err = d.Make()
	}
	return d, err
}

// Launch starts a conversation's process in its tenant's directories. A resume
// first writes the stored transcript over the session file: the store is the
// truth after a restart, a lost data dir, a spare's directory gone, or turns that
// another node ran while it held the lease (the local file is then stale). A fresh
// start drops a stale session file left by a turn that failed before it was stored.
func (l *launcher) Launch(ctx context.Context, spec conversation.LaunchSpec) (conversation.Process, error) {
	d, err := l.tenantDirs(spec.KeyID)
	if err != nil {
		return nil, err
	}
	if spec.Resume {
		err = d.RestoreSession(spec.SessionID, spec.Transcript)
	} else {
		err = d.DropSessionFile(spec.SessionID)
	}
	if err != nil {
		return nil, err
	}
	return l.start(ctx, spec.Sig, spec.SessionID, spec.Resume, d.Config, d.Work, "")
}

// spawnSpare starts a prewarmed process with signature sig in a directory of its
// own, removed when the process ends (its transcript is stored by then).
func (l *launcher) spawnSpare(ctx context.Context, id string, sig conversation.Signature) (*cliProcess, int, error) {
	d := l.dirs.Spare(id)
	if err := d.Make(); err != nil {
		return nil, 0, err
	}
	p, err := l.start(ctx, sig, uuid.NewString(), false, d.Config, d.Work, d.Base)
	if err != nil {
		_ = os.RemoveAll(d.Base)
		return nil, 0, err
	}
	return p, p.Pid(), nil
}

func (l *launcher) start(ctx context.Context, sig conversation.Signature, sessionID string, resume bool, configDir, workDir, own string) (*cliProcess, error) {
	spec := claudecli.Spec{
		Model: sig.Model, SystemPrompt: sig.SystemPrompt, MaxTokens: int(sig.MaxTokens), Tools: sig.ToolList(),
		StopSequences: sig.StopList(), SessionID: sessionID, Resume: resume, ConfigDir: configDir, WorkDir: workDir,
	}
	if sig.HasTemperature {
		t := sig.Temperature
		spec.Temperature = &t
	}
	p, err := claudecli.Start(ctx, l.cfg, spec)
	if err != nil {
		return nil, err
	}
	return &cliProcess{p: p, started: time.Now(), transcript: claudecli.TranscriptPath(configDir, workDir, sessionID), own: own}, nil
}

// RemoveSession deletes every file and directory of sessionID in the key's CLI
// config dir (transcript, tool results, todos, session env).
func (l *launcher) RemoveSession(keyID, sessionID string) error {
	if sessionID == "" {
		return nil
	}
	d, err := l.dirs.Tenant(keyID)
	if err != nil {
		return err
	}
	return d.RemoveSession(sessionID)
}

// cliProcess adapts a claudecli.Process to the grain's Process.
type cliProcess struct {
	p          *claudecli.Process
	started    time.Time
	transcript string
	own        string // a spare's own directory, removed at Close
	once       sync.Once
}

var _ conversation.Process = (*cliProcess)(nil)

func (c *cliProcess) Pid() int             { return c.p.Pid() }
func (c *cliProcess) StartedAt() time.Time { return c.started }
func (c *cliProcess) SessionID() string    { return c.p.SessionID() }

func (c *cliProcess) Transcript() ([]byte, error) { return os.ReadFile(c.transcript) }

// Exited reports whether the CLI has ended and been reaped.
func (c *cliProcess) Exited() bool {
	select {
	case <-c.p.Done():
		return true
	default:
		return false
	}
}

func (c *cliProcess) Close() error {
	err := c.p.Close()
	c.once.Do(func() {
		if c.own != "" {
			_ = os.RemoveAll(c.own)
		}
	})
	return err
}

// Turn relays the driver's events as the grain's.
func (c *cliProcess) Turn(ctx context.Context, text string) (<-chan conversation.TurnEvent, error) {
	in, err := c.p.Turn(ctx, text)
	if err != nil {
		return nil, err
	}
	out := make(chan conversation.TurnEvent, 16)
	go func() {
		defer close(out)
		for ev := range in {
			switch ev := ev.(type) {
			case claudecli.TextDelta:
				out <- conversation.TurnEvent{Delta: ev.Text}
			case claudecli.Result:
				out <- conversation.TurnEvent{Result: turnResult(ev)}
			case claudecli.ErrorEvent:
				// A failed or aborted turn may still have consumed tokens: pass them on.
				out <- conversation.TurnEvent{Err: ev.Err, Usage: turnUsage(ev.Err.Usage), CostUSD: ev.Err.CostUSD}
			}
		}
	}()
	return out, nil
}

func turnResult(r claudecli.Result) *conversation.TurnResult {
	return &conversation.TurnResult{
		Text: r.Text, StopReason: r.StopReason, StopSequence: r.StopSequence, CostUSD: r.CostUSD, DurationMS: int64(r.DurationMS),
		Usage: turnUsage(r.Usage),
	}
}

func turnUsage(u claudecli.Usage) *messages.TurnUsage {
	return &messages.TurnUsage{
		InputTokens: int64(u.InputTokens), OutputTokens: int64(u.OutputTokens),
		CacheReadInputTokens:     int64(u.CacheReadInputTokens),
		CacheCreationInputTokens: int64(u.CacheCreationInputTokens),
	}
}
