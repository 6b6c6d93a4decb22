package claudecli

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// maxLine bounds one stdout line; init lines alone are several KB and an assistant
// line carries a whole answer.
const maxLine = 64 << 20

// Process is one running CLI, serving one session turn by turn. Its methods are
// safe for concurrent use, but only one turn runs at a time.
type Process struct {
	cfg   Config
	cmd   *exec.Cmd
	stdin io.WriteCloser
	env   []string
	tail  *tailBuffer // last bytes of stderr
	// promptFile holds the system prompt (--system-prompt-file); removed at exit.
	promptFile string

	lines   chan message  // stdout lines for the current turn; closed at EOF
	done    chan struct{} // closed once the process has been waited for
	closing chan struct{} // closed by Close
	once    sync.Once

	mu        sync.Mutex
	sessionID string
	busy      bool
	pending   map[string]chan message // control requests awaiting a response
	seq       int
	writeMu   sync.Mutex // serializes stdin writes

	// totalCost is the CLI's cumulative total_cost_usd at the last result line;
	// only the running turn's goroutine uses it.
	totalCost float64
}

// Start spawns a CLI process for spec. ctx bounds only the start: the process lives
// until Close or until it dies. A missing binary gives an *Error of class
// cli_not_found.
func Start(ctx context.Context, cfg Config, spec Spec) (*Process, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &Error{Class: ClassTimeout, Message: "start cancelled", Err: err}
	}
	cfg = cfg.withDefaults()
	bin, err := exec.LookPath(cfg.Path)
	if err != nil {
		return nil, &Error{Class: ClassCLINotFound, Message: fmt.Sprintf("%s not found", cfg.Path), Err: err}
	}
	if err := prepareConfigDir(spec.ConfigDir); err != nil {
		return nil, err
	}
	sessionID := spec.SessionID
	if sessionID == "" {
		sessionID = newUUID()
	}
	p := &Process{
		cfg: cfg, env: buildEnv(cfg, spec), tail: newTailBuffer(4096),
		lines: make(chan message, 64), done: make(chan struct{}), closing: make(chan struct{}),
		sessionID: sessionID, pending: map[string]chan message{},
	}
	promptFile, err := writeSystemPrompt(spec, sessionID)
	if err != nil {
		return nil, err
	}
	p.promptFile = promptFile
	p.cmd = exec.Command(bin, buildArgs(spec, sessionID, promptFile)...)
	p.cmd.Dir = spec.WorkDir
	p.cmd.Env = p.env
	p.cmd.Stderr = p.tail
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		p.removePromptFile()
		return nil, fmt.Errorf("claudecli: stdin: %w", err)
	}
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		p.removePromptFile()
		return nil, fmt.Errorf("claudecli: stdout: %w", err)
	}
	if err := p.cmd.Start(); err != nil {
		p.removePromptFile()
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return nil, &Error{Class: ClassCLINotFound, Message: bin, Err: err}
		}
		return nil, fmt.Errorf("claudecli: start %s: %w", bin, err)
	}
	go p.read(stdout)
	return p, nil
}

// read is the stdout reader goroutine: it decodes lines, answers control
// responses, hands the rest to the current turn and, at EOF, waits for the process.
func (p *Process) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 0, 256<<10), maxLine)
	for sc.Scan() {
		m, ok := decodeLine(sc.Bytes())
		if !ok {
			continue
		}
		if m.Type == "control_response" && m.Response != nil {
			p.mu.Lock()
			ch := p.pending[m.Response.RequestID]
			delete(p.pending, m.Response.RequestID)
			p.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		select {
		case p.lines <- m:
		case <-p.closing:
		}
	}
	// An over-long line or a read error ends the protocol: the process is useless.
	if sc.Err() != nil {
		p.kill()
		_, _ = io.Copy(io.Discard, stdout)
	}
	close(p.lines)
	_ = p.cmd.Wait()
	p.removePromptFile()
	close(p.done)
}

// removePromptFile removes the process's system prompt file, if it has one.
func (p *Process) removePromptFile() {
	if p.promptFile != "" {
		_ = os.Remove(p.promptFile)
	}
}

// Pid returns the process id (also its process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Done is closed once the process has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// SessionID returns the CLI session id: the one given or generated at Start, as
// confirmed by the CLI's init line.
func (p *Process) SessionID() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.sessionID
}

// Close kills the whole process group with SIGKILL and waits for the process. It
// is idempotent and safe to call at any time; a running turn ends with an
// ErrorEvent.
func (p *Process) Close() error {
	p.once.Do(func() { close(p.closing) })
	p.kill()
	_ = p.stdin.Close()
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("claudecli: process did not exit after SIGKILL")
	}
}

// kill sends SIGKILL to the process group.
func (p *Process) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// write sends one line to the CLI's stdin.
func (p *Process) write(line []byte) error {
	p.writeMu.Lock()
	defer p.writeMu.Unlock()
	_, err := p.stdin.Write(line)
	return err
}

// exited reports whether the process has been reaped.
func (p *Process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// crashError describes a process that died, with the redacted stderr tail.
func (p *Process) crashError(what string) *Error {
	msg := what
	if st := p.cmd.ProcessState; st != nil {
		msg += " (" + st.String() + ")"
	}
	if tail := p.tail.String(); tail != "" {
		msg += ": " + redact(tail, p.env)
	}
	return &Error{Class: ClassCLICrashed, Message: msg}
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
