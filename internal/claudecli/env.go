package claudecli

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// allowedEnv lists the variables copied from Config.Env to every CLI process.
var allowedEnv = []string{
	"PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN",
	"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
}

// credentialEnv lists the variables that carry credentials the CLI accepts.
var credentialEnv = []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN"}

// CredentialsConfigured reports whether env (KEY=VALUE pairs) holds a non-empty
// credential the CLI can use. A host login in ~/.claude is invisible to per-tenant
// config dirs, so without one of these every turn fails with not_logged_in.
func CredentialsConfigured(env []string) bool {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		for _, c := range credentialEnv {
			if k == c && strings.TrimSpace(v) != "" {
				return true
			}
		}
	}
	return false
}

// buildArgs returns the CLI arguments for spec (without the program name).
// promptFile is the file holding spec.SystemPrompt (see writeSystemPrompt), or ""
// for an empty prompt: tenant text never goes through argv, where it would be
// visible to every local user in ps and bounded by the kernel's 128 KiB per
// argument.
func buildArgs(spec Spec, sessionID, promptFile string) []string {
	args := []string{
		"-p",
		"--input-format", "stream-json",
		"--output-format", "stream-json",
		"--verbose",
		"--include-partial-messages",
		// dontAsk denies every tool use no --allowedTools entry approves, and
		// --permission-prompts none makes sure nothing waits for an answer: a
		// prompt would go to stdout as a control request nobody answers.
		"--permission-mode", "dontAsk",
		"--permission-prompts", "none",
	}
	args = append(args, toolArgs(spec.Tools)...)
	args = append(args,
		"--setting-sources", "",
		"--strict-mcp-config",
	)
	if promptFile != "" {
		args = append(args, "--system-prompt-file", promptFile)
	} else {
		args = append(args, "--system-prompt", "") // no text: replaces Claude Code's prompt
	}
	if spec.Model != "" {
		args = append(args, "--model", spec.Model)
	}
	if spec.Resume {
		args = append(args, "--resume", sessionID)
	} else {
		args = append(args, "--session-id", sessionID)
	}
	return args
}

// buildEnv returns the CLI's environment: the allowlisted variables of cfg.Env plus
// cfg.PassEnv, never a CCGATEWAY_ variable, then the driver's own settings.
func buildEnv(cfg Config, spec Spec) []string {
	base := cfg.Env
	if base == nil {
		base = os.Environ()
	}
	allowed := make(map[string]bool, len(allowedEnv)+len(cfg.PassEnv))
	for _, k := range allowedEnv {
		allowed[k] = true
	}
	for _, k := range cfg.PassEnv {
		allowed[k] = true
	}
	set := map[string]string{}
	var order []string
	put := func(k, v string) {
		if _, ok := set[k]; !ok {
			order = append(order, k)
		}
		set[k] = v
	}
	for _, kv := range base {
		k, v, ok := strings.Cut(kv, "=")
		if ok && allowed[k] && !strings.HasPrefix(strings.ToUpper(k), "CCGATEWAY_") {
			put(k, v)
		}
	}
	put("HOME", spec.ConfigDir)
	put("CLAUDE_CONFIG_DIR", spec.ConfigDir)
	put("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1")
	put("CLAUDE_CODE_MAX_RETRIES", strconv.Itoa(cfg.MaxRetries))
	if cfg.APITimeout > 0 {
		put("API_TIMEOUT_MS", strconv.FormatInt(int64(cfg.APITimeout/time.Millisecond), 10))
	}
	if spec.MaxTokens > 0 {
		put("CLAUDE_CODE_MAX_OUTPUT_TOKENS", strconv.Itoa(spec.MaxTokens))
	}
	if extra := extraBody(spec); extra != nil {
		body, _ := json.Marshal(extra)
		put("CLAUDE_CODE_EXTRA_BODY", string(body))
	}
	if spec.Temperature != nil {
		// The CLI enables thinking on capable models (adaptive or a budget), and the
		// API accepts a temperature other than 1 only without thinking, so a set
		// temperature turns thinking off: the body then says {"type":"disabled"}.
		put("MAX_THINKING_TOKENS", "0")
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+set[k])
	}
	return env
}

// secretRE matches token shapes that must never leave the driver in a message.
var secretRE = regexp.MustCompile(`sk-ant-[A-Za-z0-9_\-]+|(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}`)

// redact removes the values of credential variables in env, and anything shaped
// like a token, from s.
func redact(s string, env []string) string {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		for _, c := range credentialEnv {
			if k == c && len(v) >= 4 {
				s = strings.ReplaceAll(s, v, "[redacted]")
			}
		}
	}
	return secretRE.ReplaceAllString(s, "${1}[redacted]")
}
