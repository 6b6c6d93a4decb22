package api

// This file holds the bodies and helpers that more than one route group uses.

import (
	"net/http"
	"reflect"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/usage"
)

// UsageLimitBody holds a key's quotas; 0 means unlimited.
type UsageLimitBody struct {
	RequestsPerMinute int64 `json:"requests_per_minute" minimum:"0" doc:"Requests per minute; 0 = unlimited" example:"10"`
	RequestsPerDay    int64 `json:"requests_per_day" minimum:"0" doc:"Requests per UTC day; 0 = unlimited" example:"1000"`
	TokensPerDay      int64 `json:"tokens_per_day" minimum:"0" doc:"Tokens (input + output) per UTC day; 0 = unlimited" example:"100000"`
}

// UsageTotalsBody sums usage.
type UsageTotalsBody struct {
	Requests       int64   `json:"requests"`
	Errors         int64   `json:"errors"`
	RequestTokens  int64   `json:"request_tokens"`
	ResponseTokens int64   `json:"response_tokens"`
	TotalTokens    int64   `json:"total_tokens"`
	CostUSD        float64 `json:"cost_usd"`
}

// TotalsBody is the body of store totals.
func TotalsBody(t store.UsageTotals) UsageTotalsBody { return UsageTotalsBody(t) }

// FieldErrors collects validation errors that each name their field.
type FieldErrors []error

// Add records one error at location (body.field[i]).
func (f *FieldErrors) Add(location, msg string, value any) {
	*f = append(*f, &huma.ErrorDetail{Location: location, Message: msg, Value: value})
}

// Problem returns the 422 problem, or nil without errors.
func (f FieldErrors) Problem() error {
	if len(f) == 0 {
		return nil
	}
	return NewHumaError(http.StatusUnprocessableEntity, "validation failed", f...)
}

// ReflectType is reflect.TypeOf for a type parameter.
func ReflectType[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }

// EventFeed delivers request events as they are recorded (the usage writer).
type EventFeed interface {
	Subscribe(buf int) *usage.Subscription
}
