// Package claudecli drives the Claude Code CLI (`claude`) as a long-lived child
// process that serves one session turn by turn over stream-json. It depends on the
// standard library only.
//
// A Process is started with
//
//	claude -p --input-format stream-json --output-format stream-json --verbose
//	  --include-partial-messages --permission-mode dontAsk --permission-prompts none
//	  (--tools "" | --tools <names> --restricted --allowedTools <entries...>)
//	  --setting-sources "" --strict-mcp-config (--system-prompt-file <file> | --system-prompt "")
//	  [--model <model>] (--session-id <uuid> | --resume <uuid>)
//
// Spec.Tools is a tool grant: built-in tool names, optionally with a permission
// rule ("Read", "Bash(git status:*)"), checked by ValidateTools, the validator the
// admin API uses too. --tools gets the distinct names (what the model is
// offered), --allowedTools every entry; dontAsk denies any use no entry approves
// and nothing is ever prompted. --restricted confines the file tools to the cwd
// (Spec.WorkDir); a granted Bash is not confined: it runs as the gateway's user.
//
// never with --bare (it ignores subscription OAuth). Its cwd is Spec.WorkDir, its
// CLAUDE_CONFIG_DIR and HOME are Spec.ConfigDir (seeded with a .claude.json so that
// concurrent first runs do not race on it), it runs in its own process group, and
// its environment is built from an allowlist (PATH, LANG, TZ, TMPDIR, the CLI's
// credential and proxy variables, Config.PassEnv); no CCGATEWAY_ variable is ever
// passed. The driver sets CLAUDE_CODE_MAX_RETRIES, API_TIMEOUT_MS,
// CLAUDE_CODE_MAX_OUTPUT_TOKENS and CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1.
//
// User turns are written as {"type":"user",...,"client_composed":true}, so the
// text reaches the API verbatim: "/model x" switches nothing and "@/etc/passwd"
// expands nothing (both verified against the real CLI 2.1.332).
//
// Turn returns a channel of events (Init, TextDelta, Block, APIRetry) that ends
// with one Result or ErrorEvent. Errors are classified from the result line's
// is_error, terminal_reason and api_error_status and from the synthetic assistant
// line's error field, never from the exit code; see Class. Cancelling a turn's
// context, or stdout silence longer than Config.Watchdog, sends an interrupt
// control request, waits up to Config.InterruptTimeout for the CLI's result, and
// then SIGKILLs the process group: the caller respawns with Spec.Resume. Interrupt
// stops a turn and keeps the process. The user line is written by the turn's
// goroutine, so a CLI that stopped reading stdin cannot block Turn; the watchdog
// and ctx end such a turn (by closing the process: nothing was sent to interrupt).
//
// Usage and cost are per turn on every path that has a result line: Result, and
// Error.Usage/Error.CostUSD for API errors and for interrupted or timed-out turns
// the CLI answered (it bills what the API already streamed). Measured on 2.1.332:
// total_cost_usd is cumulative over the process's life, so the driver takes the
// per-turn model_usage_since_last_result; on an interrupt, usage is all zero
// while model_usage_since_last_result holds the input tokens of message_start and
// the output counted so far (the final message_delta count never arrives).
//
// Facts measured with CLI 2.1.332 against a fake API on loopback:
//
//   - Temperature: the CLI has no flag; CLAUDE_CODE_EXTRA_BODY={"temperature":x}
//     merges into the body. The CLI enables thinking by model ({"type":"adaptive"}
//     for claude-test-model and sonnet, {"type":"enabled","budget_tokens":31999}
//     for claude-sonnet-4-5, none for claude-3-5-haiku), and the API rejects a
//     temperature other than 1 with thinking, so a set temperature also sets
//     MAX_THINKING_TOKENS=0: the body then carries {"type":"disabled"} or no
//     thinking at all.
//   - Stop sequences: CLAUDE_CODE_EXTRA_BODY={"stop_sequences":[...]} (in the same
//     object as a temperature) reaches every request body of the process. The
//     result line reports stop_reason "stop_sequence" but never which sequence;
//     the message_delta stream_event (--include-partial-messages) carries
//     stop_sequence, so Result.StopSequence comes from there. Thinking is left as
//     it is: the API accepts stop sequences with thinking.
//   - Retry-After: the CLI never prints the header. With retries left it honours it
//     and reports the wait in system/api_retry retry_delay_ms (retry-after: 2 gave
//     ~2.2-2.6 s, 7 gave 7.3-8.2 s; without the header the backoff starts near
//     0.5 s). Error.RetryAfter is the last such delay, or DefaultRetryAfter when
//     the CLI did not retry.
//   - A failed turn (API error) leaves the process usable, but the CLI keeps the
//     failed user text and merges it into the next user message.
//   - No credentials: result "Not logged in · Please run /login", is_error, no
//     request to /v1/messages (only HEAD /api/hello).
//   - Transcripts: see TranscriptPath (realpath of the cwd, every character
//     outside [A-Za-z0-9] replaced by '-', long names cut to 200 plus a hash).
//   - The CLI may need more than 2 s of start-up before its first line on a busy
//     machine: keep Watchdog well above that (default 60 s).
package claudecli
