package api

import (
	"context"
	"errors"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/store"
)

// UsageRecorder takes one usage event per API request. Record must not block: the
// implementation batches writes and flushes them on shutdown.
type UsageRecorder interface {
	Record(ev *store.UsageEvent)
}

// endpoint names the operation a request matched, for its usage record.
type endpoint struct{ path, method string }

type endpointCtx struct{}

// usageRecord collects one request's usage while its turn runs and hands it to
// the recorder exactly once, whichever way the request ends.
type usageRecord struct {
	s      *server
	ev     store.UsageEvent
	start  time.Time
	stream bool
	done   bool
	// ticket is the request's admission slot; finish settles it.
	ticket *actors.Ticket
}

// startUsage opens the record of the current request.
func (s *server) startUsage(ctx context.Context, model, conversationID string) *usageRecord {
	callerFrom(ctx).UsageOwned = true
	r := &usageRecord{s: s, start: time.Now()}
	r.ev = store.UsageEvent{
		Timestamp: r.start.UTC(), Model: model, ConversationID: conversationID,
		RequestID: RequestIDFrom(ctx), Node: s.Config.NodeName,
	}
	if k := keyFrom(ctx); k != nil {
		r.ev.APIKeyID = k.ID
	}
	if m, ok := ctx.Value(endpointCtx{}).(endpoint); ok {
		r.ev.Endpoint, r.ev.Method = m.path, m.method
	}
	return r
}

func (r *usageRecord) started(ev actors.Started) { r.ev.ConversationID = ev.ConversationID }

func (r *usageRecord) firstToken() {
	if r.ev.TTFTMS == 0 {
		r.ev.TTFTMS = max(time.Since(r.start).Milliseconds(), 1)
	}
}

// observe follows a stream's events and finishes the record at its end.
func (r *usageRecord) observe(ev actors.Event) {
	switch ev := ev.(type) {
	case actors.Started:
		r.started(ev)
	case actors.Delta:
		r.firstToken()
	case actors.Done:
		r.finish(200, &ev.Result, nil)
	case actors.Failed:
		r.failed(ev)
	}
}

// unfinished finishes a record whose event stream closed without a final event
// (the receiver hit its limit or the node stopped), so that its slot is settled.
func (r *usageRecord) unfinished() {
	if !r.done {
		r.finish(499, nil, context.Canceled)
	}
}

// failed finishes the record of a turn that ended with ev, counting the tokens and
// cost it spent before it failed, and returns the problem to answer with.
func (r *usageRecord) failed(ev actors.Failed) *Problem {
	p := toProblem(ev.Err)
	r.finish(p.Status, &actors.Result{Usage: ev.Usage, CostUSD: ev.CostUSD}, ev.Err)
	return p
}

// finish completes the record with the turn's outcome and hands it over; res
// carries the usage of a finished turn, or of a failed one (see failed).
func (r *usageRecord) finish(status int, res *actors.Result, err error) {
	if r.done {
		return
	}
	r.done = true
	// Settle before the event is recorded: a tenant grain rebuilding its counters
	// answers the settle only after reading the store, so the event is never
	// counted twice.
	if res != nil {
		r.ticket.Settle(res.Usage, res.CostUSD)
	} else {
		r.ticket.Settle(actors.Usage{}, 0)
	}
	if status >= 500 && err != nil {
		r.s.Log.Error("turn failed", "request_id", r.ev.RequestID, "api_key_id", r.ev.APIKeyID, "status", status, "err", err.Error())
	}
	if r.s.Usage == nil {
		return
	}
	r.ev.StatusCode = status
	r.ev.ResponseTimeMS = time.Since(r.start).Milliseconds()
	if res != nil {
		if res.ConversationID != "" {
			r.ev.ConversationID = res.ConversationID
		}
		r.ev.RequestTokens = res.Usage.InputTokens + res.Usage.CacheReadInputTokens + res.Usage.CacheCreationInputTokens
		r.ev.ResponseTokens = res.Usage.OutputTokens
		r.ev.TotalTokens = res.Usage.Total()
		r.ev.CacheReadInputTokens = res.Usage.CacheReadInputTokens
		r.ev.CacheCreationInputTokens = res.Usage.CacheCreationInputTokens
		r.ev.CostUSD = res.CostUSD
	}
	if err != nil {
		var p *Problem
		if errors.As(err, &p) {
			r.ev.Error = p.Code
		} else {
			r.ev.Error = toProblem(err).Code
		}
	}
	ev := r.ev
	r.s.Usage.Record(&ev)
}

// recordRequest records the usage event of a request whose handler records none
// itself (every key operation but chat), or that was refused before it ran.
func (s *server) recordRequest(ctx huma.Context, k *store.APIKey, start time.Time, status int, code string) {
	if s.Usage == nil {
		return
	}
	op := ctx.Operation()
	ev := &store.UsageEvent{
		Timestamp: start.UTC(), Endpoint: op.Path, Method: op.Method, StatusCode: status,
		ResponseTimeMS: time.Since(start).Milliseconds(), RequestID: RequestIDFrom(ctx.Context()),
		Node: s.Config.NodeName,
	}
	if k != nil {
		ev.APIKeyID = k.ID
	}
	if status >= 400 {
		ev.Error = code
		if ev.Error == "" {
			ev.Error = codeForStatus(status)
		}
	}
	s.Usage.Record(ev)
}
