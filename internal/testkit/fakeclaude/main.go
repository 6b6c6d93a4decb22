// Command fakeclaude is a stand-in for the Claude Code CLI that speaks just enough
// of its stream-json protocol (-p --input-format stream-json --output-format
// stream-json) to test a driver's fault handling. FAKE_CLAUDE_MODE picks the
// behaviour: echo (default), crash, garbage, silence, slow (FAKE_CLAUDE_DELAY,
// default 3s) or env. `--version` prints a version line.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"
)

func main() {
	for _, a := range os.Args[1:] {
		if a == "--version" || a == "-v" {
			fmt.Println("0.0.0-fake (Claude Code)")
			return
		}
	}
	os.Exit(run())
}

// fake holds the state of one fake CLI process.
type fake struct {
	mode    string
	session string
	out     *bufio.Writer
}

// run serves turns from stdin until EOF and returns the exit code.
func run() int {
	f := &fake{mode: os.Getenv("FAKE_CLAUDE_MODE"), session: sessionArg(), out: bufio.NewWriter(os.Stdout)}
	if f.mode == "" {
		f.mode = "echo"
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 0, 64<<10), 16<<20)
	for in.Scan() {
		var line struct {
			Type      string `json:"type"`
			RequestID string `json:"request_id"`
			Message   struct {
				Content string `json:"content"`
			} `json:"message"`
		}
		if json.Unmarshal(in.Bytes(), &line) != nil {
			fmt.Fprintln(os.Stderr, "fakeclaude: malformed input line")
			return 1
		}
		switch line.Type {
		case "control_request":
			if f.mode == "silence" {
				continue
			}
			f.send(map[string]any{"type": "control_response", "response": map[string]any{
				"subtype": "success", "request_id": line.RequestID}})
			f.send(f.result("", "error_during_execution", "aborted_streaming", false))
		case "user":
			if code, exit := f.turn(line.Message.Content); exit {
				return code
			}
		}
	}
	return 0
}

// turn answers one user message; exit reports that the process must end with code.
func (f *fake) turn(text string) (code int, exit bool) {
	if f.mode == "silence" {
		return 0, false
	}
	f.send(map[string]any{"type": "system", "subtype": "init", "session_id": f.session, "model": "fake-model", "tools": []string{}})
	answer := "fake: " + text
	switch f.mode {
	case "crash":
		f.delta("partial ")
		fmt.Fprintf(os.Stderr, "fakeclaude: crashing on purpose key=%s\n", os.Getenv("ANTHROPIC_API_KEY"))
		return 3, true
	case "garbage":
		f.raw("this is not json")
		f.raw(`{"type":"some_future_type","x":1}`)
		f.raw(`{"broken":`)
		f.raw(`[1,2,3]`)
		f.raw(`{"no_type":true}`)
	case "slow":
		d, err := time.ParseDuration(os.Getenv("FAKE_CLAUDE_DELAY"))
		if err != nil {
			d = 3 * time.Second
		}
		time.Sleep(d)
	case "env":
		env := os.Environ()
		sort.Strings(env)
		answer = strings.Join(env, "\n")
	}
	f.delta(answer)
	f.send(map[string]any{"type": "assistant", "session_id": f.session, "message": map[string]any{
		"model": "fake-model", "role": "assistant", "content": []any{map[string]string{"type": "text", "text": answer}}}})
	f.send(f.result(answer, "success", "completed", false))
	return 0, false
}

// delta emits one text_delta stream event.
func (f *fake) delta(text string) {
	f.send(map[string]any{"type": "stream_event", "session_id": f.session, "event": map[string]any{
		"type": "content_block_delta", "index": 0, "delta": map[string]string{"type": "text_delta", "text": text}}})
}

// result builds a result line.
func (f *fake) result(text, subtype, terminal string, isError bool) map[string]any {
	return map[string]any{"type": "result", "subtype": subtype, "is_error": isError, "result": text,
		"stop_reason": "end_turn", "terminal_reason": terminal, "session_id": f.session,
		"total_cost_usd": 0.0001, "duration_ms": 1, "num_turns": 1,
		"usage": map[string]int{"input_tokens": 3, "output_tokens": 4}}
}

// send writes v as one JSON line and flushes.
func (f *fake) send(v any) {
	b, _ := json.Marshal(v)
	f.raw(string(b))
}

// raw writes one line verbatim and flushes.
func (f *fake) raw(line string) {
	f.out.WriteString(line + "\n")
	f.out.Flush()
}

// sessionArg returns the value of --session-id or --resume, or a fixed id.
func sessionArg() string {
	args := os.Args[1:]
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "--session-id" || args[i] == "--resume" {
			return args[i+1]
		}
	}
	return "00000000-0000-4000-8000-000000000000"
}
