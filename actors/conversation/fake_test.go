package conversation

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/store"
)

// fakeLauncher starts fakeProcs and records what it was asked to do. Every turn
// of its processes waits on gate (when set) so that tests can hold turns running.
type fakeLauncher struct {
	gate chan struct{} // a turn takes one value before it answers; nil = at once

	mu       sync.Mutex
	launches []LaunchSpec
	texts    []string // every turn's text, in the order the processes got them
	procs    []*fakeProc
}

func (l *fakeLauncher) Launch(_ context.Context, spec LaunchSpec) (Process, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.launches = append(l.launches, spec)
	p := &fakeProc{l: l, pid: 1000 + len(l.procs), session: spec.SessionID, started: time.Now(), transcript: string(spec.Transcript)}
	l.procs = append(l.procs, p)
	return p, nil
}

func (l *fakeLauncher) RemoveSession(string, string) error { return nil }

func (l *fakeLauncher) seen() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.texts...)
}

func (l *fakeLauncher) specs() []LaunchSpec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]LaunchSpec(nil), l.launches...)
}

// live counts the processes not closed.
func (l *fakeLauncher) live() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, p := range l.procs {
		if !p.closed {
			n++
		}
	}
	return n
}

// fakeProc answers "echo: <text>" and keeps a transcript of the texts it served.
type fakeProc struct {
	l          *fakeLauncher
	pid        int
	session    string
	started    time.Time
	transcript string // guarded by l.mu
	closed     bool   // guarded by l.mu
}

func (p *fakeProc) Pid() int             { return p.pid }
func (p *fakeProc) StartedAt() time.Time { return p.started }
func (p *fakeProc) SessionID() string    { return p.session }

func (p *fakeProc) Turn(ctx context.Context, text string) (<-chan TurnEvent, error) {
	p.l.mu.Lock()
	if p.closed {
		p.l.mu.Unlock()
		return nil, errors.New("fake: process closed")
	}
	p.l.texts = append(p.l.texts, text)
	p.l.mu.Unlock()
	out := make(chan TurnEvent, 2)
	go func() {
		defer close(out)
		if p.l.gate != nil {
			select {
			case <-p.l.gate:
			case <-ctx.Done():
				out <- TurnEvent{Err: ctx.Err()}
				return
			}
		}
		p.l.mu.Lock()
		p.transcript += text + "\n"
		p.l.mu.Unlock()
		out <- TurnEvent{Delta: "echo: " + text}
		out <- TurnEvent{Result: &TurnResult{Text: "echo: " + text, StopReason: "end_turn", Usage: &messages.TurnUsage{OutputTokens: 1}}}
	}()
	return out, nil
}

func (p *fakeProc) Transcript() ([]byte, error) {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	return []byte(p.transcript), nil
}

func (p *fakeProc) Close() error {
	p.l.mu.Lock()
	p.closed = true
	p.l.mu.Unlock()
	return nil
}

// flakyStore fails lease renewals with renewErr while it is set.
type flakyStore struct {
	store.Store
	mu       sync.Mutex
	renewErr error
}

func (s *flakyStore) RenewLease(ctx context.Context, l *store.Lease, ttl time.Duration) error {
	s.mu.Lock()
	err := s.renewErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.RenewLease(ctx, l, ttl)
}

func (s *flakyStore) failRenewals(err error) {
	s.mu.Lock()
	s.renewErr = err
	s.mu.Unlock()
}

// encode is a minimal Deps.Encode: the kinds these tests look at.
func encode(err error) *messages.TurnError {
	e := &messages.TurnError{Kind: "internal", Message: err.Error()}
	var oe *OwnedElsewhereError
	switch {
	case errors.As(err, &oe):
		e.Kind, e.RetryAfterMs = KindOwnedElsewhere, oe.RetryAfter.Milliseconds()
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = "deadline"
	case errors.Is(err, context.Canceled), strings.Contains(err.Error(), "canceled"):
		e.Kind = KindCanceled
	}
	return e
}
