package claudecli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Turn sends one user turn and returns its events. The channel ends after exactly
// one Result or ErrorEvent; the caller must drain it or cancel ctx. Cancelling ctx,
// or stdout silence longer than Config.Watchdog, interrupts the turn and then kills
// the process (the caller respawns it with Resume). A second Turn while one runs
// fails with class process_busy.
func (p *Process) Turn(ctx context.Context, text string) (<-chan Event, error) {
	p.mu.Lock()
	switch {
	case p.busy:
		p.mu.Unlock()
		return nil, &Error{Class: ClassProcessBusy, Message: "a turn is already running"}
	case isClosed(p.closing):
		p.mu.Unlock()
		return nil, &Error{Class: ClassProcessStopped, Message: "process closed"}
	case p.exited():
		p.mu.Unlock()
		return nil, p.crashError("process exited between turns")
	}
	p.busy = true
	p.mu.Unlock()

	p.drainStale()
	if err := p.write(userLine(text)); err != nil {
		p.setIdle()
		return nil, p.crashError("write turn: " + err.Error())
	}
	out := make(chan Event, 16)
	go p.runTurn(ctx, out)
	return out, nil
}

// drainStale drops lines left over from before this turn (none are expected).
func (p *Process) drainStale() {
	for {
		select {
		case _, ok := <-p.lines:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// setIdle marks the process free for the next turn.
func (p *Process) setIdle() {
	p.mu.Lock()
	p.busy = false
	p.mu.Unlock()
}

// turnState is what a running turn remembers between lines.
type turnState struct {
	lastRetry *APIRetry // the CLI's last announced retry
	apiErr    *message  // the synthetic assistant line of a failed API call
	abort     Class     // set once the driver aborts the turn (timeout, interrupted)
}

// runTurn is the goroutine that owns one turn: it forwards events, runs the
// watchdog and ends the turn on a result, a crash, Close or an abort.
func (p *Process) runTurn(ctx context.Context, out chan<- Event) {
	defer close(out)
	defer p.setIdle()
	var st turnState
	emit := func(ev Event) bool {
		select {
		case out <- ev:
			return true
		case <-p.closing:
			return false
		case <-ctx.Done():
			// The consumer may be gone: only the final event is still attempted.
			return false
		}
	}
	finish := func(e *Error) { // the final event must not block forever either
		select {
		case out <- ErrorEvent{Err: e}:
		case <-time.After(p.cfg.InterruptTimeout):
		}
	}
	watchdog := time.NewTimer(p.cfg.Watchdog)
	defer watchdog.Stop()
	var abortDeadline <-chan time.Time
	ctxDone := ctx.Done()
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				switch {
				case isClosed(p.closing):
					finish(&Error{Class: ClassProcessStopped, Message: "process closed during the turn"})
				case st.abort != "":
					finish(p.abortError(ctx, st.abort))
				default:
					<-p.done // let Wait collect the stderr tail
					finish(p.crashError("process exited mid-turn"))
				}
				return
			}
			if m.Type == "result" {
				if st.abort != "" {
					p.Close()
					finish(p.abortError(ctx, st.abort))
				} else if m.failed() {
					finish(p.resultError(&m, &st))
				} else {
					emit(m.resultEvent())
				}
				return
			}
			p.observe(&m, &st)
			for _, ev := range m.events() {
				if !emit(ev) && st.abort == "" {
					st.abort = ClassInterrupted
					abortDeadline = p.startAbort()
					ctxDone = nil
				}
			}
			resetTimer(watchdog, p.cfg.Watchdog+st.retryDelay(&m))
		case <-watchdog.C:
			if st.abort == "" {
				st.abort = ClassTimeout
				abortDeadline = p.startAbort()
			}
		case <-ctxDone:
			ctxDone = nil
			if st.abort == "" {
				st.abort = ClassInterrupted
				if errors.Is(ctx.Err(), context.DeadlineExceeded) {
					st.abort = ClassTimeout
				}
				abortDeadline = p.startAbort()
			}
		case <-abortDeadline:
			p.Close()
			finish(p.abortError(ctx, st.abort))
			return
		case <-p.closing:
			finish(&Error{Class: ClassProcessStopped, Message: "process closed during the turn"})
			return
		}
	}
}

// observe records what later classification needs from a non-terminal line.
func (p *Process) observe(m *message, st *turnState) {
	switch {
	case m.Type == "system" && m.Subtype == "init" && m.SessionID != "":
		p.mu.Lock()
		p.sessionID = m.SessionID
		p.mu.Unlock()
	case m.Type == "system" && m.Subtype == "api_retry":
		r := m.events()[0].(APIRetry)
		st.lastRetry = &r
	case m.synthetic():
		c := *m
		st.apiErr = &c
	}
}

// retryDelay is the extra watchdog allowance after an api_retry line: the CLI is
// silent while it sleeps before the retry.
func (st *turnState) retryDelay(m *message) time.Duration {
	if m.Type == "system" && m.Subtype == "api_retry" {
		return time.Duration(m.RetryDelayMS) * time.Millisecond
	}
	return 0
}

// startAbort sends an interrupt without waiting for its answer and returns the
// deadline after which the process is killed.
func (p *Process) startAbort() <-chan time.Time {
	_ = p.write(controlLine(p.nextRequestID(), "interrupt"))
	return time.After(p.cfg.InterruptTimeout)
}

// abortError is the final error of a turn the driver aborted.
func (p *Process) abortError(ctx context.Context, class Class) *Error {
	if class == ClassTimeout && ctx.Err() == nil {
		return &Error{Class: ClassTimeout, Message: fmt.Sprintf("no output from the CLI for %s", p.cfg.Watchdog)}
	}
	return &Error{Class: class, Message: "turn aborted", Err: ctx.Err()}
}

// resultError classifies a failed result line.
func (p *Process) resultError(m *message, st *turnState) *Error {
	e := &Error{Message: m.Result}
	status, code := m.APIErrorStatus, m.APIErrorType
	if a := st.apiErr; a != nil {
		if status == 0 {
			status = a.APIErrorStatus
		}
		if code == "" {
			code = a.Error
		}
	}
	e.Status = status
	switch {
	case notLoggedIn(m.Result):
		e.Class = ClassNotLoggedIn
	case m.TerminalReason == "aborted_streaming" || m.Subtype == "error_during_execution":
		e.Class = ClassInterrupted
	case status != 0:
		e.Class = classifyStatus(status)
		if e.Class == ClassUpstreamError && (code == "overloaded_error" || code == "overloaded") {
			e.Class = ClassOverloaded
		}
	case code != "":
		e.Class = classifyCode(code)
	default:
		e.Class = ClassUpstreamError
	}
	if e.Message == "" {
		e.Message = m.Subtype + " " + m.TerminalReason
	}
	if e.Class == ClassRateLimited || e.Class == ClassOverloaded {
		e.RetryAfter = DefaultRetryAfter
		if r := st.lastRetry; r != nil && r.RetryDelay > 0 {
			e.RetryAfter = r.RetryDelay
		}
	}
	return e
}

// Interrupt asks the CLI to stop the running turn and waits (at most
// InterruptTimeout) for its acknowledgement. The turn then ends with an
// ErrorEvent of class interrupted and the process stays usable.
func (p *Process) Interrupt(ctx context.Context) error {
	id := p.nextRequestID()
	ch := make(chan message, 1)
	p.mu.Lock()
	p.pending[id] = ch
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}()
	if err := p.write(controlLine(id, "interrupt")); err != nil {
		return p.crashError("write interrupt: " + err.Error())
	}
	timer := time.NewTimer(p.cfg.InterruptTimeout)
	defer timer.Stop()
	select {
	case m := <-ch:
		if m.Response.Subtype == "error" {
			return &Error{Class: ClassUpstreamError, Message: "interrupt refused: " + m.Response.Error}
		}
		return nil
	case <-timer.C:
		return &Error{Class: ClassTimeout, Message: "no answer to interrupt"}
	case <-ctx.Done():
		return &Error{Class: ClassTimeout, Message: "interrupt", Err: ctx.Err()}
	case <-p.done:
		return p.crashError("process exited during interrupt")
	}
}

// nextRequestID returns a fresh control request id.
func (p *Process) nextRequestID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	return "ccgw-" + strconv.Itoa(p.seq)
}

// resetTimer restarts t to fire after d.
func resetTimer(t *time.Timer, d time.Duration) {
	t.Stop()
	t.Reset(d)
}

// isClosed reports whether ch is closed.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
