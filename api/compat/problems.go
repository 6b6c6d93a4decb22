package compat

import (
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// dialect is the client family of a compatibility route; it decides the shape of
// errors and streams.
type dialect int

const (
	dialectNone      dialect = iota
	dialectOpenAI            // OpenAI Chat Completions
	dialectAnthropic         // Anthropic Messages
	dialectByHeader          // Anthropic when the request has anthropic-version, else OpenAI
)

// metaDialect is the Operation.Metadata key that marks a compatibility route.
const metaDialect = "ccgateway-compat-dialect"

// dialectMeta is the Metadata of an operation of dialect d.
func dialectMeta(d dialect) map[string]any {
	return map[string]any{metaDialect: d, api.MetaRenderProblem: api.ProblemRenderer(renderDialectProblem)}
}

// compatDialect returns the dialect of the request's operation, or dialectNone
// for the native API.
func compatDialect(ctx huma.Context) dialect {
	if ctx == nil || ctx.Operation() == nil {
		return dialectNone
	}
	d, _ := ctx.Operation().Metadata[metaDialect].(dialect)
	if d == dialectByHeader {
		if ctx.Header("anthropic-version") != "" {
			return dialectAnthropic
		}
		return dialectOpenAI
	}
	return d
}

// compatError is a Problem rendered in a compatibility client's own error shape, so
// that its SDK raises its own error types. huma writes it like any StatusError.
type compatError struct {
	p     *api.Problem
	d     dialect
	param string
}

// asCompat renders p for dialect d. The status of a few problems changes where the
// client's API has a different convention: an unknown model is a 404 there.
func asCompat(d dialect, p *api.Problem, param string) *compatError {
	if p.Code == api.CodeModelUnknown && p.Status == http.StatusBadRequest {
		q := *p
		q.Status = http.StatusNotFound
		p = &q
	}
	return &compatError{p: p, d: d, param: param}
}

func (e *compatError) Error() string             { return e.p.Error() }
func (e *compatError) GetStatus() int            { return e.p.Status }
func (e *compatError) GetHeaders() http.Header   { return e.p.GetHeaders() }
func (e *compatError) ContentType(string) string { return "application/json" }

// body is the error document in the dialect's shape.
func (e *compatError) body() any {
	if e.d == dialectAnthropic {
		return NewAnthropicError(e.p.Status, e.p.Detail)
	}
	return NewOpenAIError(e.p.Status, e.p.Code, e.param, e.p.Detail)
}

// MarshalJSON writes the dialect's error document.
func (e *compatError) MarshalJSON() ([]byte, error) { return json.Marshal(e.body()) }

// WriteTo sends the error on a huma context whose response has not started.
func (e *compatError) WriteTo(ctx huma.Context) {
	for k, vs := range e.p.GetHeaders() {
		for _, v := range vs {
			ctx.AppendHeader(k, v)
		}
	}
	ctx.SetHeader("Content-Type", "application/json")
	ctx.SetHeader("X-Should-Retry", "false")
	if e.p.Status == http.StatusTooManyRequests || e.p.Status >= 500 {
		ctx.SetHeader("X-Should-Retry", "true")
	}
	ctx.SetStatus(e.p.Status)
	api.WriteJSONBody(ctx.BodyWriter(), e.body())
}

// renderDialectProblem is the operations' ProblemRenderer: a problem on a /v1 route,
// including one raised before the handler (authentication, an oversized body),
// comes in the client's own shape.
func renderDialectProblem(ctx huma.Context, p *api.Problem) api.RenderedProblem {
	d := compatDialect(ctx)
	if d == dialectNone {
		return nil
	}
	return asCompat(d, p, "")
}
