package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/usage"
)

type eventsInput struct {
	APIKeyID   string `query:"api_key_id" maxLength:"64" doc:"Only this key's requests"`
	ErrorsOnly bool   `query:"errors_only" doc:"Only failed requests"`
}

func registerEvents(hapi huma.API, s *server) {
	op := huma.Operation{
		OperationID: "admin-events", Method: http.MethodGet, Path: "/admin/events",
		Summary: "Live request feed", Tags: []string{"admin: usage"}, Security: api.AdminSecurity,
		Errors: adminErrors,
		Description: "Server-sent events for the monitor: one `request` event (a RequestEvent, whose `node` names the node that served it) " +
			"per API request as it ends on any node of the cluster, and `dropped` events ({\"missed\": n}) when the client, or the cluster's " +
			"relay of another node's events, was too slow to carry them all. The stream starts (a `: connected` comment) once every live " +
			"member has confirmed that it sends its events here (or failed to within 1 s). Keep-alive comments are sent during silences.",
	}
	reg := hapi.OpenAPI().Components.Schemas
	op.Responses = map[string]*huma.Response{
		"200": {Description: "An event stream", Content: map[string]*huma.MediaType{
			"text/event-stream": {Schema: &huma.Schema{Type: "array", Items: &huma.Schema{
				Type: "object", Required: []string{"event", "data"},
				Properties: map[string]*huma.Schema{
					"event": {Type: "string", Enum: []any{"request", "dropped"}},
					"data":  reg.Schema(api.ReflectType[RequestEvent](), true, ""),
				},
			}}},
		}},
	}
	huma.Register(hapi, op, func(ctx context.Context, in *eventsInput) (*huma.StreamResponse, error) {
		if s.Events == nil {
			return nil, api.NewProblem(http.StatusServiceUnavailable, api.CodeEventsUnavailable, "this node has no live event feed")
		}
		sub := s.Events.Subscribe(1024)
		return &huma.StreamResponse{Body: func(hctx huma.Context) {
			defer sub.Close()
			// The other members' events (nil on a single node).
			remote := s.Actors.ClusterEvents(hctx.Context(), 1024)
			if remote != nil {
				defer remote.Close()
			}
			s.streamEvents(hctx, sub, remote, in)
		}}, nil
	})
}

// streamEvents relays this node's subscription and the other members' (remote,
// nil on a single node) until the client leaves, the feed ends or the server
// stops.
func (s *server) streamEvents(hctx huma.Context, sub, remote *usage.Subscription, in *eventsInput) {
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	out := s.NewSSEWriter(hctx)
	if out.Comment("connected") != nil {
		return
	}
	keep := time.NewTicker(s.Config.SSEKeepAlive)
	defer keep.Stop()
	var reported int64
	missed := sub.Missed
	var remoteC <-chan store.UsageEvent
	if remote != nil {
		remoteC = remote.C
		missed = func() int64 { return sub.Missed() + remote.Missed() }
	}
	for {
		var ev store.UsageEvent
		var ok bool
		select {
		case <-hctx.Context().Done():
			return
		case <-s.Stopping:
			return
		case ev, ok = <-sub.C:
		case ev, ok = <-remoteC:
		case <-keep.C:
			if out.Comment("keep-alive") != nil {
				return
			}
			continue
		}
		if !ok {
			return
		}
		if (in.APIKeyID != "" && ev.APIKeyID != in.APIKeyID) || (in.ErrorsOnly && ev.StatusCode < 400) {
			continue
		}
		if m := missed(); m > reported {
			if out.Event("dropped", map[string]int64{"missed": m - reported}) != nil {
				return
			}
			reported = m
		}
		if out.Event("request", requestEvent(&ev)) != nil {
			return
		}
	}
}
