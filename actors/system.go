// Package actors runs chat turns for the API layer. System is the facade that api
// calls: it turns a ChatRequest into a stream of Events from a Claude CLI process.
package actors

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/internal/claudecli"
)

// Config is the actor system's configuration.
type Config struct {
	CLI         claudecli.Config
	DataDir     string        // tenant workspaces live in DataDir/tenants/<key id>
	TurnTimeout time.Duration // overall deadline of one turn
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("actors: data dir is empty")
	}
	if c.TurnTimeout <= 0 {
		return errors.New("actors: turn timeout must be positive")
	}
	return c.CLI.Validate()
}

// System runs turns. It is safe for concurrent use.
type System struct {
	cfg Config
	log *slog.Logger

	mu       sync.Mutex
	closing  bool
	procs    map[int]ProcessInfo
	inflight sync.WaitGroup
	// kill ends every turn at once when the shutdown deadline passes.
	kill       context.Context
	killCancel context.CancelFunc
}

// New builds a System.
func New(cfg Config, log *slog.Logger) (*System, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	kill, cancel := context.WithCancel(context.Background())
	return &System{cfg: cfg, log: log, kill: kill, killCancel: cancel, procs: map[int]ProcessInfo{}}, nil
}

// TenantDirs returns (and creates) a key's CLAUDE_CONFIG_DIR and workspace, so
// tenants never share CLI state.
func (s *System) TenantDirs(keyID string) (configDir, workDir string, err error) {
	base := filepath.Join(s.cfg.DataDir, "tenants", keyID)
	configDir, workDir = filepath.Join(base, "claude"), filepath.Join(base, "work")
	for _, d := range []string{configDir, workDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", "", fmt.Errorf("actors: tenant dir: %w", err)
		}
	}
	return configDir, workDir, nil
}

// begin registers an in-flight turn unless shutdown has begun.
func (s *System) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrShuttingDown
	}
	s.inflight.Add(1)
	return nil
}

// Chat starts a turn. Errors that happen before the CLI runs (no CLI, bad spawn)
// are returned directly; later ones arrive as a Failed event. Canceling ctx
// interrupts the turn and ends its process.
func (s *System) Chat(ctx context.Context, req ChatRequest) (<-chan Event, error) {
	if err := s.begin(); err != nil {
		return nil, err
	}
	convID := req.ConversationID
	if convID == "" {
		convID = uuid.NewString()
	}
	configDir, workDir, err := s.TenantDirs(req.APIKeyID)
	if err != nil {
		s.inflight.Done()
		return nil, err
	}
	spec := claudecli.Spec{
		Model: req.Model, SystemPrompt: req.SystemPrompt, MaxTokens: req.MaxTokens,
		Temperature: req.Temperature, Tools: req.Tools, SessionID: convID,
		ConfigDir: configDir, WorkDir: workDir,
	}
	proc, err := claudecli.Start(ctx, s.cfg.CLI, spec)
	if err != nil {
		s.inflight.Done()
		return nil, err
	}
	turnCtx, cancel := s.turnContext(ctx)
	cliEvents, err := proc.Turn(turnCtx, req.Message)
	if err != nil {
		cancel()
		proc.Close()
		s.inflight.Done()
		return nil, err
	}
	s.track(ProcessInfo{PID: proc.Pid(), ConversationID: convID, APIKeyID: req.APIKeyID, State: "busy", StartedAt: time.Now()})
	out := make(chan Event, 16)
	go func() {
		defer s.inflight.Done()
		defer close(out)
		defer s.untrack(proc.Pid())
		defer proc.Close()
		defer cancel()
		out <- Started{ConversationID: convID, Model: req.Model}
		relay(turnCtx, cliEvents, out, Result{ID: newMessageID(), ConversationID: convID, Model: req.Model})
	}()
	return out, nil
}

// ProcessInfo describes one live CLI process.
type ProcessInfo struct {
	PID            int
	ConversationID string
	APIKeyID       string
	State          string // busy, idle or prewarmed
	StartedAt      time.Time
	Turns          int
}

// Processes lists the live CLI processes of this node.
func (s *System) Processes() []ProcessInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ProcessInfo, 0, len(s.procs))
	for _, p := range s.procs {
		out = append(out, p)
	}
	return out
}

func (s *System) track(p ProcessInfo) {
	s.mu.Lock()
	s.procs[p.PID] = p
	s.mu.Unlock()
}

func (s *System) untrack(pid int) {
	s.mu.Lock()
	delete(s.procs, pid)
	s.mu.Unlock()
}

// turnContext bounds a turn by the caller, the turn timeout and the shutdown kill.
func (s *System) turnContext(ctx context.Context) (context.Context, context.CancelFunc) {
	tctx, cancel := context.WithTimeout(ctx, s.cfg.TurnTimeout)
	stop := context.AfterFunc(s.kill, cancel)
	return tctx, func() { stop(); cancel() }
}

// relay converts CLI events to actor events until the turn ends.
func relay(ctx context.Context, in <-chan claudecli.Event, out chan<- Event, res Result) {
	for ev := range in {
		switch ev := ev.(type) {
		case claudecli.TextDelta:
			out <- Delta{Text: ev.Text}
		case claudecli.Result:
			res.Content = ev.Text
			res.StopReason = ev.StopReason
			res.Usage = Usage{
				InputTokens: int64(ev.Usage.InputTokens), OutputTokens: int64(ev.Usage.OutputTokens),
				CacheReadInputTokens:     int64(ev.Usage.CacheReadInputTokens),
				CacheCreationInputTokens: int64(ev.Usage.CacheCreationInputTokens),
			}
			res.CostUSD = ev.CostUSD
			res.DurationMS = int64(ev.DurationMS)
			out <- Done{Result: res}
			return
		case claudecli.ErrorEvent:
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				out <- Failed{Err: fmt.Errorf("actors: turn deadline: %w", context.DeadlineExceeded)}
				return
			}
			out <- Failed{Err: ev.Err}
			return
		}
	}
	if err := ctx.Err(); err != nil {
		out <- Failed{Err: err}
		return
	}
	out <- Failed{Err: &claudecli.Error{Class: claudecli.ClassCLICrashed, Message: "the CLI stream ended without a result"}}
}

// Shutdown stops new turns, lets in-flight ones finish until ctx ends, then
// interrupts and kills the rest and waits for their processes to be gone.
func (s *System) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
	}
	s.killCancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return errors.New("actors: turns still running after kill")
	}
	return ctx.Err()
}

func newMessageID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "msg_" + hex.EncodeToString(b[:])
}
