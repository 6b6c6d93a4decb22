package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/store"
)

// UsageRecorder takes one usage event per API request. Record must not block: the
// implementation batches writes and flushes them on shutdown.
type UsageRecorder = actors.UsageSink

// endpoint names the operation a request matched, for its usage record.
type endpoint struct{ path, method string }

type endpointCtx struct{}

// WithEndpoint names the operation of a request that huma does not route (the
// WebSocket), for the usage records of its turns.
func WithEndpoint(ctx context.Context, path, method string) context.Context {
	return context.WithValue(ctx, endpointCtx{}, endpoint{path: path, method: method})
}

// beginTurn opens the turn pipeline for the current request: its usage record
// starts now and the pipeline, not this package, finishes it exactly once.
func (s *Server) BeginTurn(ctx context.Context, conversationID string) *actors.Turn {
	CallerFrom(ctx).UsageOwned = true
	ev := store.UsageEvent{ConversationID: conversationID, RequestID: RequestIDFrom(ctx), Node: s.Config.NodeName}
	if k := KeyFrom(ctx); k != nil {
		ev.APIKeyID = k.ID
	}
	if m, ok := ctx.Value(endpointCtx{}).(endpoint); ok {
		ev.Endpoint, ev.Method = m.path, m.method
	}
	return s.Actors.BeginTurn(ev, actors.TurnOptions{Usage: s.Usage, Classify: classifyTurnError})
}

// classifyTurnError is the problem mapper as the pipeline's records see it.
func classifyTurnError(err error) (int, string) {
	p := ToProblem(err)
	return p.Status, p.Code
}

// recordRequest records the usage event of a request whose handler records none
// itself (every key operation but chat), or that was refused before it ran.
func (s *Server) RecordRequest(ctx huma.Context, k *store.APIKey, start time.Time, status int, code string) {
	if s.Usage == nil {
		return
	}
	op := ctx.Operation()
	ev := &store.UsageEvent{
		Timestamp: start.UTC(), Endpoint: op.Path, Method: op.Method, StatusCode: status,
		ResponseTimeMS: time.Since(start).Milliseconds(), RequestID: RequestIDFrom(ctx.Context()),
		Node: s.Config.NodeName, Admitted: CallerFrom(ctx.Context()).Admitted,
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
