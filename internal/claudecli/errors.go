package claudecli

import (
	"errors"
	"fmt"
	"time"
)

// Class is the stable, machine-readable kind of a driver error; the api layer maps
// it to HTTP problems.
type Class string

// Error classes.
const (
	ClassCLINotFound    Class = "cli_not_found"         // the binary is missing or not executable
	ClassNotLoggedIn    Class = "not_logged_in"         // no credentials reached the CLI
	ClassAuthFailed     Class = "upstream_auth_failed"  // upstream 401/403
	ClassRateLimited    Class = "upstream_rate_limited" // upstream 429
	ClassOverloaded     Class = "upstream_overloaded"   // upstream 529
	ClassUpstreamError  Class = "upstream_error"        // other upstream or CLI-reported failures
	ClassTimeout        Class = "timeout"               // watchdog or context deadline
	ClassCLICrashed     Class = "cli_crashed"           // the process died or broke protocol
	ClassInterrupted    Class = "interrupted"           // the turn was interrupted or cancelled
	ClassProcessBusy    Class = "process_busy"          // a turn is already running
	ClassProcessStopped Class = "process_stopped"       // Close was called
)

// Error is a classified driver error. Use errors.As to get it from any error the
// package returns or sends.
type Error struct {
	Class   Class
	Message string
	// Status is the upstream HTTP status when known (0 otherwise).
	Status int
	// RetryAfter is set for rate limits and overloads: the CLI's last retry delay,
	// or DefaultRetryAfter when it did not retry.
	RetryAfter time.Duration
	// Usage and CostUSD are what the turn consumed as the CLI reported it, when it
	// ended with a result line: an API error after retries, or an interrupted or
	// timed-out turn whose interrupt the CLI answered with a result (the driver
	// waits up to Config.InterruptTimeout for it before killing the process).
	// Anthropic bills these tokens, so record them like a Result's. They are zero
	// when the CLI reported nothing (it died, hung, or was killed first). On an
	// interrupt the output count is what the CLI had seen so far: the API's final
	// count (message_delta) never arrived.
	Usage   Usage
	CostUSD float64
	// Err is an underlying cause, if any.
	Err error
}

// Error formats e as "claudecli: <class>: <message>".
func (e *Error) Error() string {
	s := "claudecli: " + string(e.Class)
	if e.Status != 0 {
		s += fmt.Sprintf(" (status %d)", e.Status)
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// ClassOf returns the Class of err, or "" when err is not (or does not wrap) an *Error.
func ClassOf(err error) Class {
	var e *Error
	if errors.As(err, &e) {
		return e.Class
	}
	return ""
}

// classifyStatus maps an upstream HTTP status to a class.
func classifyStatus(status int) Class {
	switch {
	case status == 401 || status == 403:
		return ClassAuthFailed
	case status == 429:
		return ClassRateLimited
	case status == 529:
		return ClassOverloaded
	}
	return ClassUpstreamError
}

// classifyCode maps the synthetic assistant message's "error" field (and
// api_error_type) to a class when no status is known.
func classifyCode(code string) Class {
	switch code {
	case "authentication_failed", "authentication_error", "permission_error", "billing_error":
		return ClassAuthFailed
	case "rate_limit", "rate_limit_error":
		return ClassRateLimited
	case "overloaded", "overloaded_error":
		return ClassOverloaded
	}
	return ClassUpstreamError
}
