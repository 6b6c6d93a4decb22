package claudecli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// probeTimeout bounds `claude --version` when ctx has no deadline.
const probeTimeout = 30 * time.Second

// Probe runs `claude --version` and returns the version ("2.1.332"). A missing
// binary gives an *Error of class cli_not_found; use it for readiness checks.
func Probe(ctx context.Context, cfg Config) (string, error) {
	cfg = cfg.withDefaults()
	bin, err := exec.LookPath(cfg.Path)
	if err != nil {
		return "", &Error{Class: ClassCLINotFound, Message: fmt.Sprintf("%s not found", cfg.Path), Err: err}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, probeTimeout)
		defer cancel()
	}
	home, err := os.MkdirTemp("", "claudecli-probe-")
	if err != nil {
		return "", fmt.Errorf("claudecli: probe: %w", err)
	}
	defer os.RemoveAll(home)
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = buildEnv(Config{Env: cfg.Env, MaxRetries: cfg.MaxRetries}, Spec{ConfigDir: home})
	cmd.Dir = home
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if errors.Is(err, exec.ErrNotFound) || errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
			return "", &Error{Class: ClassCLINotFound, Message: bin, Err: err}
		}
		if ctx.Err() != nil {
			return "", &Error{Class: ClassTimeout, Message: "claude --version", Err: ctx.Err()}
		}
		return "", &Error{Class: ClassCLICrashed, Message: "claude --version: " + redact(strings.TrimSpace(stderr.String()), cmd.Env), Err: err}
	}
	fields := strings.Fields(stdout.String())
	if len(fields) == 0 {
		return "", &Error{Class: ClassCLICrashed, Message: "claude --version printed nothing"}
	}
	return fields[0], nil
}
