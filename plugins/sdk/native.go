//go:build !wasip1

package sdk

import (
	"fmt"
	"os"
	"time"
)

// Log writes msg to standard error when the policy runs natively (in tests).
func Log(msg string) { fmt.Fprintln(os.Stderr, "policy:", msg) }

// NowMS returns the wall clock in Unix milliseconds when the policy runs natively.
func NowMS() int64 { return time.Now().UnixMilli() }
