package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// limitCodes are the bundled deny codes of quotas: 429 with Retry-After.
var limitCodes = map[string]bool{
	abi.CodeRateLimitMinute: true, abi.CodeRateLimitDay: true, abi.CodeTokenLimitDay: true,
	abi.CodeConcurrencyLimit: true, abi.CodeCostLimitDay: true,
}

// policyProblem maps admission denials and policy upload errors, or returns nil.
func policyProblem(err error) *Problem {
	var d *actors.Denial
	if errors.As(err, &d) {
		return denialProblem(d)
	}
	var fi *policies.ErrForbiddenImport
	var me *policies.ErrMissingExport
	var av *policies.ErrABIVersion
	var st *policies.ErrSelfTest
	switch {
	case errors.As(err, &fi):
		return NewProblem(http.StatusUnprocessableEntity, CodePolicyForbiddenImport,
			fmt.Sprintf("the module imports %s.%s; a policy may import only from wasi_snapshot_preview1 and ccg.log, ccg.now_ms", fi.Module, fi.Name))
	case errors.As(err, &me):
		return NewProblem(http.StatusUnprocessableEntity, CodePolicyMissingExport, strings.TrimPrefix(me.Error(), "policies: "))
	case errors.As(err, &av):
		return NewProblem(http.StatusUnprocessableEntity, CodePolicyABIVersion, strings.TrimPrefix(av.Error(), "policies: "))
	case errors.As(err, &st):
		return NewProblem(http.StatusUnprocessableEntity, CodePolicySelfTestFailed, strings.TrimPrefix(st.Error(), "policies: "))
	case errors.Is(err, policyset.ErrInvalid):
		return NewProblem(http.StatusUnprocessableEntity, CodePolicyInvalid, strings.TrimPrefix(err.Error(), "policyset: invalid policy: "))
	case errors.Is(err, policyset.ErrNoActive):
		return NewProblem(http.StatusConflict, CodePolicyNoActive, "the policy has no active version to roll back from")
	}
	return nil
}

// denialProblem is a policy's deny: a quota (a bundled limit code, or any deny that
// says when to retry) is 429 with Retry-After; a failing fail-closed policy is 503;
// anything else is a permission refusal, 403. The code is the policy's.
func denialProblem(d *actors.Denial) *Problem {
	detail := d.Reason
	if detail == "" {
		detail = "denied by policy " + d.Policy
	}
	switch {
	case d.Code == abi.CodePolicyError:
		return NewProblem(http.StatusServiceUnavailable, CodePolicyError, detail).withRetryAfter(5 * time.Second)
	case limitCodes[d.Code] || d.RetryAfter > 0:
		return NewProblem(http.StatusTooManyRequests, d.Code, detail).withRetryAfter(d.RetryAfter)
	}
	code := d.Code
	if code == "" {
		code = CodeForbidden
	}
	return NewProblem(http.StatusForbidden, code, detail)
}
