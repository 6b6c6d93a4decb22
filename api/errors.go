package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// Stable problem codes. Clients match on these, never on titles or details.
const (
	CodeInvalidRequest      = "invalid_request"
	CodeValidationFailed    = "validation_failed"
	CodeUnauthorized        = "unauthorized"
	CodeKeySuspended        = "key_suspended"
	CodeKeyExpired          = "key_expired"
	CodeForbidden           = "forbidden"
	CodeNotFound            = "not_found"
	CodeConflict            = "conflict"
	CodeTooLarge            = "request_too_large"
	CodeUnsupportedMedia    = "unsupported_media_type"
	CodeMethodNotAllowed    = "method_not_allowed"
	CodeTooManyAuthFailures = "too_many_auth_failures"
	CodeInternal            = "internal_error"
	CodeCLIUnavailable      = "cli_unavailable"
	CodeNotLoggedIn         = "cli_not_logged_in"
	CodeUpstreamAuth        = "upstream_auth_failed"
	CodeUpstreamRateLimited = "upstream_rate_limited"
	CodeUpstreamOverloaded  = "upstream_overloaded"
	CodeUpstreamError       = "upstream_error"
	CodeTimeout             = "timeout"
	CodeCLICrashed          = "cli_crashed"
	CodeCanceled            = "canceled"
	CodeShuttingDown        = "shutting_down"
	CodeModelUnknown        = "model_not_found"
	CodeSocketBusy          = "socket_busy"
	CodeIPNotAllowed        = "ip_not_allowed"
	CodeSignatureMissing    = "signature_missing"
	CodeSignatureInvalid    = "signature_invalid"
	CodeSignatureExpired    = "signature_expired"
	CodeSignatureReplayed   = "signature_replayed"
	CodeHTTPSRequired       = "https_required"
	CodeTokenExpired        = "token_expired"
	CodeTokenRevoked        = "token_revoked"
	CodeIdPUnavailable      = "identity_provider_unavailable"
	CodeEventsUnavailable   = "events_unavailable"
	CodeQueueFull           = "queue_full"
	CodeQueueTimeout        = "queue_timeout"
	CodeConversationBusy    = "conversation_busy"
	CodeAdmissionBusy       = "admission_busy"
	CodeAdmissionTimeout    = "admission_timeout"
	CodeCountersUnavailable = "counters_unavailable"

	// A policy's deny carries the policy's own code (rate_limit_minute,
	// model_not_allowed, ...); these are the host's and the admin API's.
	CodePolicyError           = "policy_error"
	CodePolicyInvalid         = "policy_invalid"
	CodePolicyForbiddenImport = "policy_forbidden_import"
	CodePolicyMissingExport   = "policy_missing_export"
	CodePolicyABIVersion      = "policy_abi_version"
	CodePolicySelfTestFailed  = "policy_self_test_failed"
	CodePolicyNoActive        = "policy_not_active"
	CodePoliciesUnavailable   = "policies_unavailable"
	CodeOwnedElsewhere        = "conversation_owned_elsewhere"
)

// Problem is an RFC 9457 problem document with a stable machine-readable code.
type Problem struct {
	Type      string              `json:"type,omitempty" doc:"A URI reference naming the problem type" example:"https://ccgateway.dev/problems/unauthorized"`
	Title     string              `json:"title" doc:"Short human-readable summary" example:"Unauthorized"`
	Status    int                 `json:"status" doc:"HTTP status code" example:"401"`
	Code      string              `json:"code" doc:"Stable machine-readable error code" example:"unauthorized"`
	Detail    string              `json:"detail,omitempty" doc:"Human-readable explanation of this occurrence" example:"missing API key"`
	Instance  string              `json:"instance,omitempty" doc:"The request path"`
	RequestID string              `json:"request_id,omitempty" doc:"The request id, also in the X-Request-Id header"`
	Errors    []*huma.ErrorDetail `json:"errors,omitempty" doc:"Field-level validation errors"`

	headers http.Header
	cause   error // the internal error behind a 500: logged, never sent
}

// Error implements error.
func (p *Problem) Error() string { return p.Code + ": " + p.Detail }

// GetStatus implements huma.StatusError.
func (p *Problem) GetStatus() int { return p.Status }

// GetHeaders implements huma.HeadersError (Retry-After and the like).
func (p *Problem) GetHeaders() http.Header { return p.headers }

// ContentType implements huma.ContentTypeFilter.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// NewProblem builds a Problem with a code.
func NewProblem(status int, code, detail string) *Problem {
	return &Problem{
		Type:   "https://ccgateway.dev/problems/" + code,
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: detail,
	}
}

// withRetryAfter sets the Retry-After header, rounding up to whole seconds.
func (p *Problem) withRetryAfter(d time.Duration) *Problem {
	secs := int((d + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	if p.headers == nil {
		p.headers = http.Header{}
	}
	p.headers.Set("Retry-After", strconv.Itoa(secs))
	return p
}

// codeForStatus names the code of problems huma raises itself (validation, parsing).
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return CodeInvalidRequest
	case http.StatusUnprocessableEntity:
		return CodeValidationFailed
	case http.StatusUnauthorized:
		return CodeUnauthorized
	case http.StatusForbidden:
		return CodeForbidden
	case http.StatusNotFound:
		return CodeNotFound
	case http.StatusConflict:
		return CodeConflict
	case http.StatusRequestEntityTooLarge:
		return CodeTooLarge
	case http.StatusUnsupportedMediaType:
		return CodeUnsupportedMedia
	default:
		if status >= 500 {
			return CodeInternal
		}
		return CodeInvalidRequest
	}
}

// NewHumaError replaces huma.NewError so every error huma writes is a Problem.
func NewHumaError(status int, msg string, errs ...error) huma.StatusError {
	p := NewProblem(status, codeForStatus(status), msg)
	for _, err := range errs {
		if err == nil {
			continue
		}
		var d huma.ErrorDetailer
		if errors.As(err, &d) {
			p.Errors = append(p.Errors, d.ErrorDetail())
		} else {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Message: err.Error()})
		}
	}
	return p
}

// MetaRenderProblem is the Operation.Metadata key of a route's ProblemRenderer.
const MetaRenderProblem = "ccgateway-render-problem"

// A ProblemRenderer gives the error a route's clients expect for p (the OpenAI
// and Anthropic dialects have their own error documents), or nil for the native
// problem document. Every problem on the route goes through it: those of the
// handler, of authentication and of huma's own validation.
type ProblemRenderer func(ctx huma.Context, p *Problem) RenderedProblem

// RenderedProblem is a problem in a route's own shape: huma writes it as any
// StatusError, and WriteTo writes it on a context whose response has not started.
type RenderedProblem interface {
	huma.StatusError
	WriteTo(ctx huma.Context)
}

// renderProblem applies the route's ProblemRenderer, if it has one.
func renderProblem(ctx huma.Context, p *Problem) RenderedProblem {
	if ctx == nil || ctx.Operation() == nil {
		return nil
	}
	r, _ := ctx.Operation().Metadata[MetaRenderProblem].(ProblemRenderer)
	if r == nil {
		return nil
	}
	return r(ctx, p)
}

// ToProblem maps a domain error to the problem sent to the client. It is the only
// place where domain errors become HTTP statuses.
func ToProblem(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var ce *actors.CLIError
	if errors.As(err, &ce) {
		return cliProblem(ce)
	}
	if p := authProblem(err); p != nil {
		return p
	}
	if p := policyProblem(err); p != nil {
		return p
	}
	var ie *actors.InvalidError
	if errors.As(err, &ie) {
		return NewProblem(http.StatusBadRequest, CodeInvalidRequest, ie.Field+": "+ie.Reason)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NewProblem(http.StatusNotFound, CodeNotFound, "no such resource")
	case errors.Is(err, store.ErrConflict):
		return NewProblem(http.StatusConflict, CodeConflict, "the resource already exists")
	case errors.Is(err, actors.ErrQueueFull):
		return NewProblem(http.StatusServiceUnavailable, CodeQueueFull, "every Claude CLI process is busy and the queue is full").withRetryAfter(5 * time.Second)
	case errors.Is(err, actors.ErrQueueTimeout):
		return NewProblem(http.StatusServiceUnavailable, CodeQueueTimeout, "no Claude CLI process became free in time").withRetryAfter(5 * time.Second)
	case errors.Is(err, actors.ErrConversationBusy):
		return NewProblem(http.StatusTooManyRequests, CodeConversationBusy, "too many turns already wait for this conversation").withRetryAfter(time.Second)
	case errors.Is(err, actors.ErrAdmissionBusy):
		return NewProblem(http.StatusTooManyRequests, CodeAdmissionBusy, "too many requests of this key wait for admission").withRetryAfter(time.Second)
	case errors.Is(err, actors.ErrAdmissionTimeout):
		return NewProblem(http.StatusServiceUnavailable, CodeAdmissionTimeout, "the key's admission did not answer in time; retry shortly").withRetryAfter(time.Second)
	case errors.Is(err, actors.ErrCountersUnavailable):
		return NewProblem(http.StatusServiceUnavailable, CodeCountersUnavailable, "the key's usage counters could not be read; retry shortly").withRetryAfter(5 * time.Second)
	case errors.Is(err, actors.ErrOwnedElsewhere):
		return ownedElsewhereProblem(err)
	case errors.Is(err, actors.ErrShuttingDown):
		return NewProblem(http.StatusServiceUnavailable, CodeShuttingDown, "the gateway is shutting down").withRetryAfter(5 * time.Second)
	case errors.Is(err, context.DeadlineExceeded):
		return NewProblem(http.StatusGatewayTimeout, CodeTimeout, "the turn took longer than its deadline")
	case errors.Is(err, context.Canceled):
		return NewProblem(499, CodeCanceled, "the request was canceled")
	}
	p = NewProblem(http.StatusInternalServerError, CodeInternal, "internal error")
	p.cause = err
	return p
}

// ownedElsewhereProblem is 503 (fencing is transient: the other owner releases
// the lease or stops renewing it) with the lease TTL as Retry-After.
func ownedElsewhereProblem(err error) *Problem {
	retry := 5 * time.Second
	var oe *actors.OwnedElsewhereError
	if errors.As(err, &oe) && oe.RetryAfter > 0 {
		retry = oe.RetryAfter
	}
	return NewProblem(http.StatusServiceUnavailable, CodeOwnedElsewhere,
		"another gateway node runs this conversation; retry later").withRetryAfter(retry)
}

// cliProblem maps the CLI driver's error classes.
func cliProblem(e *actors.CLIError) *Problem {
	switch e.Class {
	case actors.CLINotFound:
		return NewProblem(http.StatusServiceUnavailable, CodeCLIUnavailable, "the Claude CLI is not installed or not runnable on this node")
	case actors.CLINotLoggedIn:
		return NewProblem(http.StatusServiceUnavailable, CodeNotLoggedIn, "the Claude CLI has no credentials: set CLAUDE_CODE_OAUTH_TOKEN (from `claude setup-token`) or ANTHROPIC_API_KEY")
	case actors.CLIAuthFailed:
		return NewProblem(http.StatusBadGateway, CodeUpstreamAuth, "the Anthropic API refused the gateway's credentials")
	case actors.CLIRateLimited:
		ra := e.RetryAfter
		if ra <= 0 {
			ra = 30 * time.Second
		}
		return NewProblem(http.StatusTooManyRequests, CodeUpstreamRateLimited, "the Anthropic API is rate limiting the gateway").withRetryAfter(ra)
	case actors.CLIOverloaded:
		return NewProblem(http.StatusServiceUnavailable, CodeUpstreamOverloaded, "the Anthropic API is overloaded").withRetryAfter(10 * time.Second)
	case actors.CLIUpstreamError:
		return NewProblem(http.StatusBadGateway, CodeUpstreamError, fmt.Sprintf("the Anthropic API failed (status %d)", e.Status))
	case actors.CLITimeout:
		return NewProblem(http.StatusGatewayTimeout, CodeTimeout, "the Claude CLI did not answer in time")
	case actors.CLIInterrupted, actors.CLIStopped:
		return NewProblem(499, CodeCanceled, "the turn was interrupted")
	default:
		return NewProblem(http.StatusBadGateway, CodeCLICrashed, "the Claude CLI failed")
	}
}

// authProblem maps admin-token and request-signing errors, or returns nil.
func authProblem(err error) *Problem {
	switch {
	case errors.Is(err, auth.ErrSignatureMissing):
		return NewProblem(http.StatusUnauthorized, CodeSignatureMissing,
			"this API key requires signed requests: send "+auth.HeaderTimestamp+" and "+auth.HeaderSignature)
	case errors.Is(err, auth.ErrSignatureExpired):
		return NewProblem(http.StatusUnauthorized, CodeSignatureExpired, "the request timestamp is outside the accepted window")
	case errors.Is(err, auth.ErrSignatureReplayed):
		return NewProblem(http.StatusUnauthorized, CodeSignatureReplayed, "this signed request was already used")
	case errors.Is(err, auth.ErrReplayCacheFull):
		return NewProblem(http.StatusServiceUnavailable, CodeInternal, "too many signed requests to remember; retry shortly").withRetryAfter(5 * time.Second)
	case errors.Is(err, auth.ErrSignatureInvalid):
		return NewProblem(http.StatusUnauthorized, CodeSignatureInvalid, "the request signature does not match")
	case errors.Is(err, auth.ErrKeysUnavailable):
		return NewProblem(http.StatusServiceUnavailable, CodeIdPUnavailable, "the identity provider's keys could not be fetched").withRetryAfter(10 * time.Second)
	case errors.Is(err, auth.ErrNotAdmin):
		return NewProblem(http.StatusForbidden, CodeForbidden, "the token does not carry the admin role")
	case errors.Is(err, auth.ErrTokenExpired):
		return NewProblem(http.StatusUnauthorized, CodeTokenExpired, "the admin token has expired")
	case errors.Is(err, auth.ErrTokenRevoked):
		return NewProblem(http.StatusUnauthorized, CodeTokenRevoked, "the admin token was revoked (logout or password reset): log in again")
	case errors.Is(err, auth.ErrWrongIssuer), errors.Is(err, auth.ErrWrongAudience),
		errors.Is(err, auth.ErrTokenNotYetValid), errors.Is(err, auth.ErrInvalidToken):
		return NewProblem(http.StatusUnauthorized, CodeUnauthorized, "invalid admin token: "+strings.TrimPrefix(rootSentinel(err).Error(), "auth: "))
	}
	return nil
}

// rootSentinel returns the auth sentinel err wraps, so a problem's detail never
// echoes token contents.
func rootSentinel(err error) error {
	for _, s := range []error{auth.ErrWrongIssuer, auth.ErrWrongAudience, auth.ErrTokenNotYetValid, auth.ErrInvalidToken} {
		if errors.Is(err, s) {
			return s
		}
	}
	return err
}
