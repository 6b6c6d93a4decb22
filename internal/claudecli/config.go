package claudecli

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// Defaults applied by Config when a field is zero.
const (
	DefaultPath             = "claude"
	DefaultMaxRetries       = 2
	DefaultWatchdog         = 60 * time.Second
	DefaultInterruptTimeout = 2 * time.Second
	// DefaultRetryAfter is reported on a rate limit or overload when the CLI did not
	// retry and so never revealed the upstream retry delay.
	DefaultRetryAfter = 30 * time.Second
)

// Config is how the driver runs every CLI process; it is the same for all tenants.
// Zero fields take the defaults above.
type Config struct {
	// Path is the CLI binary, a path or a name looked up on PATH (default "claude").
	Path string
	// MaxRetries becomes CLAUDE_CODE_MAX_RETRIES (0..15; the CLI's own default of
	// 10 takes minutes to fail). A negative value means 0.
	MaxRetries int
	// APITimeout becomes API_TIMEOUT_MS when set; it bounds only the wait for
	// response headers.
	APITimeout time.Duration
	// Watchdog is how long a turn may see no stdout line before the driver interrupts
	// it, then kills the process: the CLI itself notices a stalled stream only after
	// 300 s. A reported api_retry delay extends the next wait.
	Watchdog time.Duration
	// InterruptTimeout bounds the wait for the answer to an interrupt and for the
	// interrupted turn's result.
	InterruptTimeout time.Duration
	// PassEnv names extra variables copied from Env to the CLI. Names starting with
	// CCGATEWAY_ are rejected: the gateway's own secrets never reach the CLI.
	PassEnv []string
	// Env is the environment the allowlist filters (default os.Environ()).
	Env []string
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	if c.Path == "" {
		c.Path = DefaultPath
	}
	if c.MaxRetries == 0 {
		c.MaxRetries = DefaultMaxRetries
	} else if c.MaxRetries < 0 {
		c.MaxRetries = 0
	}
	if c.Watchdog <= 0 {
		c.Watchdog = DefaultWatchdog
	}
	if c.InterruptTimeout <= 0 {
		c.InterruptTimeout = DefaultInterruptTimeout
	}
	return c
}

// Validate checks the cross-field rules of c.
func (c Config) Validate() error {
	if c.MaxRetries > 15 {
		return fmt.Errorf("claudecli: MaxRetries %d out of range 0..15", c.MaxRetries)
	}
	if c.APITimeout < 0 || c.Watchdog < 0 || c.InterruptTimeout < 0 {
		return errors.New("claudecli: negative timeout")
	}
	for _, name := range c.PassEnv {
		if name == "" || strings.ContainsAny(name, "= ") {
			return fmt.Errorf("claudecli: PassEnv: bad variable name %q", name)
		}
		if strings.HasPrefix(strings.ToUpper(name), "CCGATEWAY_") {
			return fmt.Errorf("claudecli: PassEnv: %s: CCGATEWAY_ variables never reach the CLI", name)
		}
	}
	return nil
}

// Spec is what one CLI process is for: a session of one tenant. Processes with
// different Model, SystemPrompt, MaxTokens, Temperature, StopSequences or Tools
// cannot share a process, since these are fixed at spawn.
type Spec struct {
	Model        string   // passed verbatim to --model; "" keeps the CLI's default
	SystemPrompt string   // replaces Claude Code's prompt (an SDK identity line stays)
	MaxTokens    int      // CLAUDE_CODE_MAX_OUTPUT_TOKENS when > 0
	Temperature  *float64 // merged into the request body; disables thinking
	// StopSequences are merged into the request body with Temperature (see
	// ValidateStopSequences); empty sends none.
	StopSequences []string
	// Tools is the tool grant: built-in tool names and permission rules such as
	// "Bash(git status:*)" (see ValidateTool and toolArgs); empty means no tools.
	Tools []string
	// SessionID is the CLI session (a UUID). Empty starts a new session with a
	// generated id; with Resume the CLI restores that session's history.
	SessionID string
	Resume    bool
	// ConfigDir becomes CLAUDE_CONFIG_DIR and HOME (per tenant: isolated
	// transcripts, no .claude.json races); WorkDir is the process's cwd.
	ConfigDir string
	WorkDir   string
}

// uuidRE matches the canonical textual form of a UUID.
var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// Validate checks s.
func (s Spec) Validate() error {
	if s.ConfigDir == "" || !filepath.IsAbs(s.ConfigDir) {
		return fmt.Errorf("claudecli: ConfigDir %q must be an absolute path", s.ConfigDir)
	}
	if s.WorkDir == "" || !filepath.IsAbs(s.WorkDir) {
		return fmt.Errorf("claudecli: WorkDir %q must be an absolute path", s.WorkDir)
	}
	if s.SessionID != "" && !uuidRE.MatchString(s.SessionID) {
		return fmt.Errorf("claudecli: SessionID %q is not a UUID", s.SessionID)
	}
	if s.Resume && s.SessionID == "" {
		return errors.New("claudecli: Resume needs a SessionID")
	}
	if err := ValidateSystemPrompt(s.SystemPrompt); err != nil {
		return fmt.Errorf("claudecli: %w", err)
	}
	if s.MaxTokens < 0 {
		return errors.New("claudecli: negative MaxTokens")
	}
	if s.Temperature != nil && (*s.Temperature < 0 || *s.Temperature > 1) {
		return fmt.Errorf("claudecli: Temperature %v out of range 0..1", *s.Temperature)
	}
	if err := ValidateStopSequences(s.StopSequences); err != nil {
		return fmt.Errorf("claudecli: %w", err)
	}
	return ValidateTools(s.Tools)
}

// MaxSystemPromptBytes bounds a system prompt in bytes (UTF-8), whatever its
// length in characters: 64 Ki characters of CJK text are 192 KiB.
const MaxSystemPromptBytes = 256 << 10

// ValidateSystemPrompt checks a system prompt: at most MaxSystemPromptBytes and
// no NUL byte (which no C string, file name or argv can carry, and which the API
// layer refuses on every endpoint).
func ValidateSystemPrompt(p string) error {
	if len(p) > MaxSystemPromptBytes {
		return fmt.Errorf("system prompt is %d bytes, over the %d-byte limit", len(p), MaxSystemPromptBytes)
	}
	if strings.IndexByte(p, 0) >= 0 {
		return errors.New("system prompt contains a NUL character")
	}
	return nil
}
