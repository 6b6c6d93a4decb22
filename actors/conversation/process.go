// Package conversation is the conversation grain: one actor per conversation (a
// cluster Kind), owning at most one Claude CLI process in stream-json input mode and
// running one turn at a time. Further turns wait in order (bounded). Each turn is
// acked at once and streamed to the caller's receiver actor, which the grain watches:
// a vanished caller interrupts the turn. After each turn the messages and the CLI
// transcript are stored; after an idle TTL the grain passivates (process killed,
// state in the store) and the next turn restores the transcript and --resumes.
package conversation

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/actors/messages"
)

// Kind is the cluster kind of conversation grains.
const Kind = "conversation"

// Signature is what a CLI process is spawned with; a turn asking for another one
// respawns the process with --resume under the new signature.
type Signature struct {
	Model          string
	SystemPrompt   string
	MaxTokens      int64
	HasTemperature bool
	Temperature    float64
	Tools          string // comma-joined allowlist
	// StopSequences is the JSON array of the turn's stop sequences ("" for none):
	// an exact, comparable form of a list whose items may hold any character.
	StopSequences string
}

// SignatureOf builds a signature.
func SignatureOf(model, systemPrompt string, maxTokens int64, temperature *float64, tools, stopSequences []string) Signature {
	s := Signature{Model: model, SystemPrompt: systemPrompt, MaxTokens: maxTokens, Tools: strings.Join(tools, ",")}
	if temperature != nil {
		s.HasTemperature, s.Temperature = true, *temperature
	}
	if len(stopSequences) > 0 {
		b, _ := json.Marshal(stopSequences)
		s.StopSequences = string(b)
	}
	return s
}

// StopList decodes StopSequences.
func (s Signature) StopList() []string {
	var out []string
	if s.StopSequences != "" {
		_ = json.Unmarshal([]byte(s.StopSequences), &out)
	}
	return out
}

// ToolList splits Tools.
func (s Signature) ToolList() []string {
	if s.Tools == "" {
		return nil
	}
	return strings.Split(s.Tools, ",")
}

// LaunchSpec says how to start a conversation's process.
type LaunchSpec struct {
	KeyID          string
	ConversationID string
	SessionID      string
	// Resume starts the process with --resume SessionID; Transcript (from the store)
	// is written to the CLI's session file first when that file is missing.
	Resume     bool
	Transcript []byte
	Sig        Signature
}

// TurnEvent is one item of a CLI turn: a text delta, the result, or an error.
// Usage and CostUSD go with Err: what the failed turn spent before it failed (nil
// and 0 when nothing or unknown), which the caller is still charged for.
type TurnEvent struct {
	Delta   string
	Result  *TurnResult
	Err     error
	Usage   *messages.TurnUsage
	CostUSD float64
}

// TurnResult is a finished CLI turn.
type TurnResult struct {
	Text         string
	StopReason   string
	StopSequence string // the stop sequence that ended the reply, when the CLI named it
	Usage        *messages.TurnUsage
	CostUSD      float64
	DurationMS   int64
}

// Process is a running CLI process as the grain drives it.
type Process interface {
	Pid() int
	StartedAt() time.Time
	SessionID() string
	// Turn sends one user turn. The channel ends with a Result or an Err and is then
	// closed; canceling ctx interrupts the turn.
	Turn(ctx context.Context, text string) (<-chan TurnEvent, error)
	// Transcript reads the CLI's session file.
	Transcript() ([]byte, error)
	// Exited reports whether the process has ended on its own (it died between
	// turns): it can serve no turn and must be replaced.
	Exited() bool
	// Close kills the process group and waits for it; it is idempotent.
	Close() error
}

// Launcher starts processes and removes a session's files.
type Launcher interface {
	Launch(ctx context.Context, spec LaunchSpec) (Process, error)
	// RemoveSession deletes the CLI's files of a session in the key's config dir.
	RemoveSession(keyID, sessionID string) error
}

// Spares hands out prewarmed processes spawned with the default signature.
type Spares interface {
	// Take returns a spare (its scheduler id and process) when sig is the default.
	Take(sig Signature) (id string, p Process, ok bool)
	// Refill asks for a replacement spare; a turn that took one calls it once its
	// first turn is over, so the spawn does not compete with that turn for CPU and
	// the next new conversation finds a spare without waiting for a periodic refill.
	Refill()
}
