package actors

import "github.com/ccgateway/ccgateway/internal/claudecli"

// The CLI driver's rules and failures as the facade reports them, so that the
// transports check requests and map failures without importing the driver.

// MaxStopSequences is how many stop sequences one turn may carry.
const MaxStopSequences = claudecli.MaxStopSequences

// ValidateStopSequence checks one stop sequence with the driver's rules.
func ValidateStopSequence(s string) error { return claudecli.ValidateStopSequence(s) }

// ValidateTool checks one tool grant ("Read", "Bash(git status:*)") with the
// driver's rules, so that every grant the admin API accepts is one it runs.
func ValidateTool(t string) error { return claudecli.ValidateTool(t) }

// CLIError is a turn's failure in the CLI or upstream, with its class.
type CLIError = claudecli.Error

// CLIClass classifies a CLIError.
type CLIClass = claudecli.Class

// The classes of CLIError the transports tell apart.
const (
	CLINotFound      = claudecli.ClassCLINotFound
	CLINotLoggedIn   = claudecli.ClassNotLoggedIn
	CLIAuthFailed    = claudecli.ClassAuthFailed
	CLIRateLimited   = claudecli.ClassRateLimited
	CLIOverloaded    = claudecli.ClassOverloaded
	CLIUpstreamError = claudecli.ClassUpstreamError
	CLITimeout       = claudecli.ClassTimeout
	CLIInterrupted   = claudecli.ClassInterrupted
	CLIStopped       = claudecli.ClassProcessStopped
)
