package admin

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// RequestEvent is one API request's usage record.
type RequestEvent struct {
	ID                       int64     `json:"id,omitempty" doc:"Store id (0 in the live feed, before the event is written)"`
	APIKeyID                 string    `json:"api_key_id" doc:"The key; empty when the request presented no valid key"`
	Timestamp                time.Time `json:"timestamp"`
	Endpoint                 string    `json:"endpoint" example:"/api/chat"`
	Method                   string    `json:"method" example:"POST"`
	RequestTokens            int64     `json:"request_tokens" doc:"Input tokens including cache reads and writes" example:"100"`
	ResponseTokens           int64     `json:"response_tokens" example:"500"`
	TotalTokens              int64     `json:"total_tokens" example:"600"`
	CacheReadInputTokens     int64     `json:"cache_read_input_tokens"`
	CacheCreationInputTokens int64     `json:"cache_creation_input_tokens"`
	CostUSD                  float64   `json:"cost_usd" example:"0.0021"`
	ResponseTimeMS           int64     `json:"response_time_ms" example:"2500"`
	TTFTMS                   int64     `json:"ttft_ms" doc:"Time to the first reply token; 0 when none came" example:"900"`
	StatusCode               int       `json:"status_code" example:"200"`
	Model                    string    `json:"model" example:"claude-sonnet-5-5"`
	Error                    *string   `json:"error" doc:"The problem code of a failed request; null on success" example:"upstream_rate_limited"`
	ConversationID           string    `json:"conversation_id"`
	RequestID                string    `json:"request_id"`
	Node                     string    `json:"node"`
}

// RequestList is one page of the request log, newest first.
type RequestList struct {
	Items  []RequestEvent `json:"items" nullable:"false"`
	Total  int            `json:"total"`
	Limit  int            `json:"limit"`
	Offset int            `json:"offset"`
}

type requestsInput struct {
	APIKeyID   string    `query:"api_key_id" maxLength:"64" doc:"Only this key's requests"`
	Model      string    `query:"model" maxLength:"200" doc:"Only this model"`
	Status     int       `query:"status" minimum:"0" maximum:"599" doc:"Only this status code"`
	ErrorsOnly bool      `query:"errors_only" doc:"Only failed requests (status >= 400)"`
	From       time.Time `query:"from" doc:"At or after this time (RFC 3339)"`
	To         time.Time `query:"to" doc:"Before this time (RFC 3339)"`
	Limit      int       `query:"limit" minimum:"1" maximum:"1000" default:"100"`
	Offset     int       `query:"offset" minimum:"0"`
}

type requestsOutput struct{ Body RequestList }

func registerAdminRequests(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "list-requests", Method: http.MethodGet, Path: "/admin/requests",
		Summary: "Request log", Tags: []string{"admin: usage"}, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "One record per API request (errors included), newest first. Records are written in batches, so the newest second may not be listed yet; GET /admin/events is the live view.",
	}, func(ctx context.Context, in *requestsInput) (*requestsOutput, error) {
		evs, total, err := s.Store.ListUsageEvents(ctx, store.UsageFilter{
			APIKeyID: in.APIKeyID, Model: in.Model, Status: in.Status, ErrorsOnly: in.ErrorsOnly,
			From: in.From, To: in.To, Limit: in.Limit, Offset: in.Offset,
		})
		if err != nil {
			return nil, api.ToProblem(err)
		}
		out := &requestsOutput{Body: RequestList{Items: make([]RequestEvent, 0, len(evs)), Total: total, Limit: in.Limit, Offset: in.Offset}}
		for _, e := range evs {
			out.Body.Items = append(out.Body.Items, requestEvent(e))
		}
		return out, nil
	})
}

// requestEvent renders a usage event.
func requestEvent(e *store.UsageEvent) RequestEvent {
	r := RequestEvent{
		ID: e.ID, APIKeyID: e.APIKeyID, Timestamp: e.Timestamp, Endpoint: e.Endpoint, Method: e.Method,
		RequestTokens: e.RequestTokens, ResponseTokens: e.ResponseTokens, TotalTokens: e.TotalTokens,
		CacheReadInputTokens: e.CacheReadInputTokens, CacheCreationInputTokens: e.CacheCreationInputTokens,
		CostUSD: e.CostUSD, ResponseTimeMS: e.ResponseTimeMS, TTFTMS: e.TTFTMS, StatusCode: e.StatusCode,
		Model: e.Model, ConversationID: e.ConversationID, RequestID: e.RequestID, Node: e.Node,
	}
	if e.Error != "" {
		msg := e.Error
		r.Error = &msg
	}
	return r
}
