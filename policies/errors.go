package policies

import (
	"errors"
	"fmt"
)

var (
	// ErrClosed is returned when a closed Engine, Policy or Chain is used.
	ErrClosed = errors.New("policies: closed")
	// ErrTimeout means a guest call ran past its deadline and was cut.
	ErrTimeout = errors.New("policies: call deadline exceeded")
	// ErrBadOutput means the guest returned something that is not an abi.Output.
	ErrBadOutput = errors.New("policies: bad output")
	// ErrNoChain is returned by a Registry that holds no chain.
	ErrNoChain = errors.New("policies: no active chain")
)

// ErrForbiddenImport refuses a module that imports from outside the allowed host
// modules (wasi_snapshot_preview1 and ccg) or an unknown ccg function.
type ErrForbiddenImport struct {
	Module, Name string
}

func (e *ErrForbiddenImport) Error() string {
	return fmt.Sprintf("policies: forbidden import %s.%s (only wasi_snapshot_preview1 and ccg.log, ccg.now_ms)", e.Module, e.Name)
}

// ErrMissingExport refuses a module without a required export, or with one of the
// wrong kind or signature (Reason says which).
type ErrMissingExport struct {
	Name, Reason string
}

func (e *ErrMissingExport) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("policies: export %q: %s", e.Name, e.Reason)
	}
	return fmt.Sprintf("policies: missing export %q", e.Name)
}

// ErrABIVersion refuses a module whose abi_version() is not abi.Version.
type ErrABIVersion struct {
	Got uint32
}

func (e *ErrABIVersion) Error() string {
	return fmt.Sprintf("policies: abi_version() returned %d, want 1", e.Got)
}

// ErrSelfTest refuses a module that fails one of its self-test cases. Want and Got
// read "allow" or "deny:<code>"; Err is set when the call itself failed.
type ErrSelfTest struct {
	Case      string
	Want, Got string
	Err       error
}

func (e *ErrSelfTest) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("policies: self-test %q: want %s, call failed: %v", e.Case, e.Want, e.Err)
	}
	return fmt.Sprintf("policies: self-test %q: want %s, got %s", e.Case, e.Want, e.Got)
}

func (e *ErrSelfTest) Unwrap() error { return e.Err }

// PolicyError is a failed evaluation of one policy in a chain.
type PolicyError struct {
	Policy  string
	Version int64
	Err     error
}

func (e *PolicyError) Error() string {
	return fmt.Sprintf("policies: %s v%d: %v", e.Policy, e.Version, e.Err)
}

func (e *PolicyError) Unwrap() error { return e.Err }

func isTimeout(err error) bool { return errors.Is(err, ErrTimeout) }
