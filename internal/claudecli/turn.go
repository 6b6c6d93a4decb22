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
// the process (the caller respawns it with Resume). The user line is written by
// the turn's goroutine, under the same watchdog and ctx: a CLI that stopped
// reading stdin cannot block the caller, and a failed write ends the turn with
// cli_crashed. A second Turn while one runs fails with class process_busy.
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
	out := make(chan Event, 16)
	go p.runTurn(ctx, userLine(text), out)
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
	stopSeq   string    // the stop sequence of the turn's last API response
}

// runTurn is the goroutine that owns one turn: it writes the user line, forwards
// events, runs the watchdog and ends the turn on a result, a crash, Close or an
// abort.
func (p *Process) runTurn(ctx context.Context, line []byte, out chan<- Event) {
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

	// The write runs on its own: a CLI that does not read stdin fills the pipe
	// and blocks it until Close.
	written := make(chan error, 1)
	go func() { written <- p.write(line) }()
	var (
		abortDeadline <-chan time.Time
		ack           <-chan message // the answer to the abort's interrupt
		ackID         string
	)
	defer func() {
		if ackID != "" {
			p.forget(ackID)
		}
	}()
	// abort starts ending the turn for class. Before the user line is written
	// there is nothing to interrupt: the process is closed at once.
	abort := func(class Class) bool {
		if st.abort != "" {
			return false
		}
		st.abort = class
		if written != nil {
			select {
			case err := <-written:
				written = nil
				if err == nil {
					break
				}
				p.Close()
				finish(p.crashError("write turn: " + err.Error()))
				return true
			default:
			}
		}
		if written != nil {
			p.Close()
			finish(p.abortError(ctx, class))
			return true
		}
		ackID, ack, _ = p.sendInterrupt(false)
		abortDeadline = time.After(p.cfg.InterruptTimeout)
		return false
	}
	ctxDone := ctx.Done()
	for {
		select {
		case err := <-written:
			written = nil
			if err != nil {
				p.Close() // a partial line would be a protocol error anyway
				finish(p.crashError("write turn: " + err.Error()))
				return
			}
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
				prev := p.totalCost
				p.totalCost = m.TotalCostUSD
				switch {
				case st.abort != "":
					// The CLI answered the interrupt: keep what it billed, then
					// kill the process as the abort promised.
					e := p.abortError(ctx, st.abort)
					e.Usage, e.CostUSD = m.turnUsage(prev)
					p.Close()
					finish(e)
				case m.failed():
					finish(p.resultError(&m, &st, prev))
				default:
					emit(m.resultEvent(prev, st.stopSeq))
				}
				return
			}
			p.observe(&m, &st)
			for _, ev := range m.events() {
				if !emit(ev) && st.abort == "" {
					ctxDone = nil
					if abort(ClassInterrupted) {
						return
					}
				}
			}
			resetTimer(watchdog, p.cfg.Watchdog+st.retryDelay(&m))
		case <-watchdog.C:
			if abort(ClassTimeout) {
				return
			}
		case <-ctxDone:
			ctxDone = nil
			class := ClassInterrupted
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				class = ClassTimeout
			}
			if abort(class) {
				return
			}
		case a := <-ack:
			ack = nil
			if a.Response.Subtype == "error" {
				// No result will come: do not wait out the deadline.
				p.Close()
				finish(p.abortError(ctx, st.abort))
				return
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
	if seq, ok := m.stopSequence(); ok {
		st.stopSeq = seq
	}
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

// abortError is the final error of a turn the driver aborted.
func (p *Process) abortError(ctx context.Context, class Class) *Error {
	if class == ClassTimeout && ctx.Err() == nil {
		return &Error{Class: ClassTimeout, Message: fmt.Sprintf("no output from the CLI for %s", p.cfg.Watchdog)}
	}
	return &Error{Class: class, Message: "turn aborted", Err: ctx.Err()}
}

// resultError classifies a failed result line.
// prevTotal is the process's cumulative cost before this turn.
func (p *Process) resultError(m *message, st *turnState, prevTotal float64) *Error {
	e := &Error{Message: m.Result}
	e.Usage, e.CostUSD = m.turnUsage(prevTotal)
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
// ErrorEvent of class interrupted carrying the usage the CLI reported, and the
// process stays usable. The driver's own aborts (ctx, watchdog) send the same
// request but then close the process.
func (p *Process) Interrupt(ctx context.Context) error {
	id, ch, err := p.sendInterrupt(true)
	defer p.forget(id)
	if err != nil {
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

// sendInterrupt registers a control request id and writes an interrupt with it.
// The returned channel receives the CLI's control_response. With wait the write
// is synchronous and its error is returned; otherwise the write runs in the
// background (stdin may be blocked: the abort deadline covers that).
func (p *Process) sendInterrupt(wait bool) (string, <-chan message, error) {
	id := p.nextRequestID()
	ch := make(chan message, 1)
	p.mu.Lock()
	p.pending[id] = ch
	p.mu.Unlock()
	line := controlLine(id, "interrupt")
	if !wait {
		go func() { _ = p.write(line) }()
		return id, ch, nil
	}
	return id, ch, p.write(line)
}

// forget drops a control request that is no longer awaited.
func (p *Process) forget(id string) {
	p.mu.Lock()
	delete(p.pending, id)
	p.mu.Unlock()
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
