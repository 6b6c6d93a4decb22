package admin

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
	"github.com/ccgateway/ccgateway/policies/abi/abijson"
)

type policyNamePath struct {
	Name string `path:"name" pattern:"^[a-z][a-z0-9_-]{0,63}$" doc:"The policy's name" example:"timewindow"`
}

type createPolicyInput struct{ Body PolicyUpload }

type policyVersionOutput struct{ Body PolicyVersionBody }

type createPolicyOutput struct {
	Location string `header:"Location" doc:"The policy's versions (GET /admin/policies/{name}/versions)"`
	Body     PolicyVersionBody
}

type policyListOutput struct{ Body PolicyList }

type policyVersionsOutput struct{ Body PolicyVersionList }

type activatePolicyInput struct {
	Name string `path:"name" pattern:"^[a-z][a-z0-9_-]{0,63}$" doc:"The policy's name" example:"timewindow"`
	Body PolicyActivate
}

type dryRunPolicyInput struct {
	Name string `path:"name" pattern:"^[a-z][a-z0-9_-]{0,63}$" doc:"The policy's name" example:"permissions"`
	Body PolicyDryRun
}

type dryRunPolicyOutput struct{ Body PolicyDecision }

// rollbackPolicyOutput is 200 with the version now active, or 204 when the policy
// left the chain.
type rollbackPolicyOutput struct {
	Status int
	Body   *PolicyVersionBody
}

// maxPolicyUpload bounds an upload body: base64 of a Go guest (~3 MB) and tests.
const maxPolicyUpload = 24 << 20

// requirePolicies refuses an operation with 503 when the gateway runs without a policy
// set (a test harness or the spec generator).
func requirePolicies[I, O any](s *server, h func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		if s.Policies == nil {
			return nil, api.NewProblem(http.StatusServiceUnavailable, api.CodePoliciesUnavailable, "this gateway runs without a policy set")
		}
		return h(ctx, in)
	}
}

func registerAdminPolicies(hapi huma.API, s *server) {
	tags := []string{"admin: policies"}
	huma.Register(hapi, huma.Operation{
		OperationID: "create-policy-version", Method: http.MethodPost, Path: "/admin/policies",
		Summary: "Upload a policy version", Tags: tags, Security: api.AdminSecurity, DefaultStatus: http.StatusCreated,
		MaxBodyBytes: maxPolicyUpload,
		Description:  "Stores a new version of a WASM policy after checking it: it must compile, import only from wasi_snapshot_preview1 and ccg (log, now_ms), export memory, ccg_buffer, evaluate and abi_version (ABI 1), and pass its self-tests within the call deadline and the memory cap. Refusals name what failed (policy_invalid, policy_forbidden_import, policy_missing_export, policy_abi_version, policy_self_test_failed). With activate it joins the chain at once.",
		Errors:       append(adminErrors, 413),
	}, requirePolicies(s, s.createPolicy))
	huma.Register(hapi, huma.Operation{
		OperationID: "list-policies", Method: http.MethodGet, Path: "/admin/policies",
		Summary: "List policies", Tags: tags, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "The active chain in evaluation order (bundled policies have version 0) and every stored policy.",
	}, requirePolicies(s, s.listPolicies))
	huma.Register(hapi, huma.Operation{
		OperationID: "list-policy-versions", Method: http.MethodGet, Path: "/admin/policies/{name}/versions",
		Summary: "List a policy's versions", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Every stored version of the policy, oldest first, with its configuration, failure mode, tests and which one is active.",
	}, requirePolicies(s, s.listPolicyVersions))
	huma.Register(hapi, huma.Operation{
		OperationID: "activate-policy-version", Method: http.MethodPost, Path: "/admin/policies/{name}/activate",
		Summary: "Activate a policy version", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Swaps the chain atomically: requests being decided finish on the old version, the next ones see the new.",
	}, requirePolicies(s, s.activatePolicy))
	huma.Register(hapi, huma.Operation{
		OperationID: "rollback-policy", Method: http.MethodPost, Path: "/admin/policies/{name}/rollback",
		Summary: "Roll a policy back", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404, 409),
		Description: "Activates the version before the active one. When the active one is the first, the policy leaves the chain (a bundled policy's own version serves again); the answer is then 204.",
		Responses: map[string]*huma.Response{
			"204": {Description: "The policy left the chain: no version of it is active"},
		},
	}, requirePolicies(s, s.rollbackPolicy))
	huma.Register(hapi, huma.Operation{
		OperationID: "delete-policy", Method: http.MethodDelete, Path: "/admin/policies/{name}",
		Summary: "Delete a policy", Tags: tags, Security: api.AdminSecurity, DefaultStatus: http.StatusNoContent,
		Description: "Deletes every version and takes the policy out of the chain (a bundled policy's own version serves again).",
		Errors:      append(adminErrors, 404),
	}, requirePolicies(s, s.deletePolicy))
	huma.Register(hapi, huma.Operation{
		OperationID: "test-policy", Method: http.MethodPost, Path: "/admin/policies/{name}/test",
		Summary: "Dry-run a policy", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Decides a sample input with one version of the policy (default: the active one) and returns the decision; nothing is counted.",
	}, requirePolicies(s, s.dryRunPolicy))
}

func (s *server) createPolicy(ctx context.Context, in *createPolicyInput) (*createPolicyOutput, error) {
	b := &in.Body
	u := &policyset.Upload{Name: b.Name, Wasm: b.Wasm, Config: b.Config, FailureMode: b.FailureMode,
		Activate: b.Activate, CreatedBy: api.CallerFrom(ctx).Admin}
	if string(u.Config) == "null" {
		u.Config = nil
	}
	for i, tc := range b.Tests {
		c := policies.TestCase{Name: tc.Name, Allow: tc.Allow, Code: tc.Code}
		if len(tc.Input) > 0 && string(tc.Input) != "null" {
			if err := abijson.UnmarshalInput(tc.Input, &c.Input); err != nil {
				return nil, api.NewProblem(http.StatusUnprocessableEntity, api.CodePolicyInvalid, fmt.Sprintf("tests[%d].input: %v", i, err))
			}
		}
		u.Tests = append(u.Tests, c)
	}
	pv, err := s.Policies.Create(ctx, u)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	body := versionBody(pv)
	s.audit(ctx, "policy.create", "policy/"+pv.Name, nil, body)
	return &createPolicyOutput{Location: "/admin/policies/" + url.PathEscape(body.Name) + "/versions", Body: body}, nil
}

func (s *server) listPolicies(ctx context.Context, _ *struct{}) (*policyListOutput, error) {
	names, err := s.Store.ListPolicyNames(ctx)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	out := &policyListOutput{Body: PolicyList{Chain: chainBody(s.Policies.Chain()), Policies: []PolicySummary{}}}
	for _, n := range names {
		versions, err := s.Store.ListPolicyVersions(ctx, n)
		if err != nil {
			return nil, api.ToProblem(err)
		}
		sum := PolicySummary{Name: n, Versions: len(versions)}
		for _, v := range versions {
			if v.Active {
				sum.ActiveVersion = v.Version
			}
		}
		out.Body.Policies = append(out.Body.Policies, sum)
	}
	return out, nil
}

func (s *server) listPolicyVersions(ctx context.Context, in *policyNamePath) (*policyVersionsOutput, error) {
	versions, err := s.Store.ListPolicyVersions(ctx, in.Name)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	if len(versions) == 0 {
		return nil, api.NewProblem(http.StatusNotFound, api.CodeNotFound, "no stored policy "+in.Name)
	}
	out := &policyVersionsOutput{Body: PolicyVersionList{Items: make([]PolicyVersionBody, 0, len(versions))}}
	for _, v := range versions {
		out.Body.Items = append(out.Body.Items, versionBody(v))
	}
	return out, nil
}

func (s *server) activatePolicy(ctx context.Context, in *activatePolicyInput) (*policyVersionOutput, error) {
	before := s.chainSnapshot()
	pv, err := s.Policies.Activate(ctx, in.Name, in.Body.Version)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	body := versionBody(pv)
	s.audit(ctx, "policy.activate", "policy/"+in.Name, before, s.chainSnapshot())
	return &policyVersionOutput{Body: body}, nil
}

func (s *server) rollbackPolicy(ctx context.Context, in *policyNamePath) (*rollbackPolicyOutput, error) {
	before := s.chainSnapshot()
	pv, err := s.Policies.Rollback(ctx, in.Name)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	s.audit(ctx, "policy.rollback", "policy/"+in.Name, before, s.chainSnapshot())
	if pv == nil {
		return &rollbackPolicyOutput{Status: http.StatusNoContent}, nil
	}
	body := versionBody(pv)
	return &rollbackPolicyOutput{Status: http.StatusOK, Body: &body}, nil
}

func (s *server) deletePolicy(ctx context.Context, in *policyNamePath) (*struct{}, error) {
	before := s.chainSnapshot()
	if err := s.Policies.Delete(ctx, in.Name); err != nil {
		return nil, api.ToProblem(err)
	}
	s.audit(ctx, "policy.delete", "policy/"+in.Name, before, s.chainSnapshot())
	return nil, nil
}

// chainSnapshot is the active chain as the audit log records it.
func (s *server) chainSnapshot() map[string]any {
	return map[string]any{"chain": chainBody(s.Policies.Chain())}
}

func (s *server) dryRunPolicy(ctx context.Context, in *dryRunPolicyInput) (*dryRunPolicyOutput, error) {
	var input abi.Input
	if raw := in.Body.Input; len(raw) > 0 && string(raw) != "null" {
		if err := abijson.UnmarshalInput(raw, &input); err != nil {
			return nil, api.NewProblem(http.StatusUnprocessableEntity, api.CodePolicyInvalid, "input: "+err.Error())
		}
	}
	if id := in.Body.APIKeyID; id != "" {
		k, err := s.Store.GetAPIKey(ctx, id)
		if err != nil {
			return nil, api.ToProblem(err)
		}
		input.Key = api.ABIKey(k)
	}
	if input.NowMS == 0 {
		input.NowMS = time.Now().UnixMilli()
	}
	d, version, err := s.Policies.DryRun(ctx, in.Name, in.Body.Version, &input)
	if err != nil && d.Code == "" { // not an evaluation failure: the policy did not load
		return nil, api.ToProblem(err)
	}
	return &dryRunPolicyOutput{Body: decisionBody(in.Name, version, d, err)}, nil
}
