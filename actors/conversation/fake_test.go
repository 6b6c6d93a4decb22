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
	// fail, when set, ends every turn with this error event instead of a result.
	fail *TurnEvent

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

// proc returns the i-th process launched.
func (l *fakeLauncher) proc(i int) *fakeProc {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.procs[i]
}

// closed reports whether the i-th process launched was closed.
func (l *fakeLauncher) closed(i int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.procs[i].closed
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
	exited     bool   // guarded by l.mu: died on its own
}

func (p *fakeProc) Pid() int             { return p.pid }
func (p *fakeProc) StartedAt() time.Time { return p.started }
func (p *fakeProc) SessionID() string    { return p.session }

func (p *fakeProc) Turn(ctx context.Context, text string) (<-chan TurnEvent, error) {
	p.l.mu.Lock()
	if p.closed || p.exited {
		p.l.mu.Unlock()
		return nil, errors.New("fake: process exited between turns")
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
		fail := p.l.fail
		p.l.mu.Unlock()
		if fail != nil {
			out <- *fail
			return
		}
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

func (p *fakeProc) Exited() bool {
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	return p.exited
}

// die makes the process end on its own, as a crash between turns would.
func (p *fakeProc) die() {
	p.l.mu.Lock()
	p.exited = true
	p.l.mu.Unlock()
}

func (p *fakeProc) Close() error {
	p.l.mu.Lock()
	p.closed = true
	p.l.mu.Unlock()
	return nil
}

// flakyStore fails lease renewals with renewErr, and turn commits with
// commitErr, while they are set.
type flakyStore struct {
	store.Store
	mu        sync.Mutex
	renewErr  error
	commitErr error
	reads     int // GetTranscript calls
	convReads int // GetConversation calls
}

func (s *flakyStore) GetConversation(ctx context.Context, keyID, id string) (*store.Conversation, error) {
	s.mu.Lock()
	s.convReads++
	s.mu.Unlock()
	return s.Store.GetConversation(ctx, keyID, id)
}

func (s *flakyStore) conversationReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.convReads
}

func (s *flakyStore) GetTranscript(ctx context.Context, id string) (*store.Transcript, error) {
	s.mu.Lock()
	s.reads++
	s.mu.Unlock()
	return s.Store.GetTranscript(ctx, id)
}

func (s *flakyStore) transcriptReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.reads
}

func (s *flakyStore) CommitTurn(ctx context.Context, l *store.Lease, msgs []*store.Message, t *store.Transcript) error {
	s.mu.Lock()
	err := s.commitErr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.Store.CommitTurn(ctx, l, msgs, t)
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
	case errors.Is(err, store.ErrNotFound):
		e.Kind = KindNotFound
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = "deadline"
	case errors.Is(err, context.Canceled), strings.Contains(err.Error(), "canceled"):
		e.Kind = KindCanceled
	}
	return e
}

// fakeSpares hands out one prewarmed fake process, booked in the scheduler as
// the pool books its spares.
type fakeSpares struct {
	mu      sync.Mutex
	id      string
	proc    Process
	refills int
}

func (f *fakeSpares) Refill() {
	f.mu.Lock()
	f.refills++
	f.mu.Unlock()
}

func (f *fakeSpares) refilled() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refills
}

func (f *fakeSpares) Take(Signature) (string, Process, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.proc == nil {
		return "", nil, false
	}
	id, p := f.id, f.proc
	f.proc = nil
	return id, p, true
}
