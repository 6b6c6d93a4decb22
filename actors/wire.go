package actors

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ccgateway/ccgateway/actors/conversation"
	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/store"
)

// Errors of Chat that the API maps to statuses. Queue errors carry Retry-After.
var (
	// ErrQueueFull: every CLI process is busy and the node's queue is full.
	ErrQueueFull = scheduler.ErrQueueFull
	// ErrQueueTimeout: the turn waited for a CLI process longer than the queue timeout.
	ErrQueueTimeout = scheduler.ErrQueueTimeout
	// ErrConversationBusy: too many turns already wait for this conversation.
	ErrConversationBusy = errors.New("actors: too many turns wait for this conversation")
	// ErrOwnedElsewhere: another node holds the conversation's lease (fencing), so
	// this node may not run its CLI. The error is an *OwnedElsewhereError.
	ErrOwnedElsewhere = conversation.ErrOwnedElsewhere
)

// OwnedElsewhereError carries when a turn refused by fencing may be retried.
type OwnedElsewhereError = conversation.OwnedElsewhereError

// Wire kinds of TurnError besides the grain's own.
const (
	kindCLI       = "cli"
	kindQueueFull = "queue_full"
	kindQueueTime = "queue_timeout"
	kindDeadline  = "deadline"
	kindShutdown  = "shutting_down"
	kindInternal  = "internal"
)

// encodeError turns a turn's error into its wire form.
func encodeError(err error) *messages.TurnError {
	e := &messages.TurnError{Kind: kindInternal, Message: err.Error()}
	var ce *claudecli.Error
	var oe *conversation.OwnedElsewhereError
	switch {
	case errors.As(err, &oe):
		e.Kind, e.Message, e.RetryAfterMs = conversation.KindOwnedElsewhere, oe.Reason, oe.RetryAfter.Milliseconds()
	case errors.As(err, &ce):
		e.Kind, e.CliClass, e.Status, e.RetryAfterMs = kindCLI, string(ce.Class), int32(ce.Status), ce.RetryAfter.Milliseconds()
		e.Message = ce.Message
	case errors.Is(err, store.ErrNotFound):
		e.Kind = conversation.KindNotFound
	case errors.Is(err, scheduler.ErrQueueFull):
		e.Kind = kindQueueFull
	case errors.Is(err, scheduler.ErrQueueTimeout):
		e.Kind = kindQueueTime
	case errors.Is(err, scheduler.ErrClosed), errors.Is(err, ErrShuttingDown):
		e.Kind = kindShutdown
	case errors.Is(err, context.DeadlineExceeded):
		e.Kind = kindDeadline
	case errors.Is(err, context.Canceled):
		e.Kind = conversation.KindCanceled
	}
	return e
}

// decodeError turns a wire error back into the error the API maps.
func decodeError(e *messages.TurnError) error {
	if e == nil {
		return errors.New("actors: turn failed without an error")
	}
	switch e.Kind {
	case kindCLI:
		return &claudecli.Error{Class: claudecli.Class(e.CliClass), Message: e.Message, Status: int(e.Status),
			RetryAfter: time.Duration(e.RetryAfterMs) * time.Millisecond}
	case conversation.KindNotFound:
		return fmt.Errorf("actors: conversation: %w", store.ErrNotFound)
	case conversation.KindBusy:
		return ErrConversationBusy
	case conversation.KindOwnedElsewhere:
		return &OwnedElsewhereError{Reason: e.Message, RetryAfter: time.Duration(e.RetryAfterMs) * time.Millisecond}
	case conversation.KindCanceled:
		return fmt.Errorf("actors: %s: %w", e.Message, context.Canceled)
	case kindQueueFull:
		return ErrQueueFull
	case kindQueueTime:
		return ErrQueueTimeout
	case kindDeadline:
		return fmt.Errorf("actors: turn deadline: %w", context.DeadlineExceeded)
	case kindShutdown:
		return ErrShuttingDown
	}
	return fmt.Errorf("actors: %s", e.Message)
}
