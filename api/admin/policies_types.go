package admin

import (
	"encoding/json"
	"time"

	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
)

// PolicyTestCase is one self-test of an uploaded policy: the policy must decide
// input as allow says (and, when code is set, deny with that code).
type PolicyTestCase struct {
	Name  string          `json:"name,omitempty" maxLength:"200" doc:"The case's name, quoted when it fails" example:"night stream"`
	Input json.RawMessage `json:"input,omitempty" doc:"A policy input (ABI v1: request, key, counters, now_ms; see docs/policies.md). Its config is replaced by the policy's." example:"{\"request\":{\"stream\":true},\"now_ms\":1699920000000}"`
	Allow bool            `json:"allow" doc:"The expected verdict"`
	Code  string          `json:"code,omitempty" maxLength:"100" doc:"The expected deny code" example:"no_night_streaming"`
}

// PolicyUpload is a new version of a policy.
type PolicyUpload struct {
	Name        string           `json:"name" pattern:"^[a-z][a-z0-9_-]{0,63}$" doc:"The policy's name; a bundled name (ratelimit, permissions) replaces that policy" example:"timewindow"`
	Wasm        []byte           `json:"wasm" minLength:"8" doc:"The WebAssembly module, base64-encoded" example:"AGFzbQEAAAA="`
	Config      json.RawMessage  `json:"config,omitempty" doc:"The policy's own configuration, passed in every input" example:"{\"allowed_hours_utc\":\"9-17\"}"`
	FailureMode string           `json:"failure_mode,omitempty" enum:"closed,open" default:"closed" doc:"When the policy fails (trap, deadline, bad output): closed denies with policy_error, open skips it"`
	Tests       []PolicyTestCase `json:"tests,omitempty" maxItems:"100" nullable:"false" doc:"Self-tests; the upload is refused unless every one passes"`
	Activate    bool             `json:"activate,omitempty" doc:"Make this version active at once"`
}

// PolicyVersionBody is one stored version of a policy (without its module).
type PolicyVersionBody struct {
	Name        string           `json:"name" example:"timewindow"`
	Version     int64            `json:"version" doc:"1, 2, ... per name" example:"3"`
	SHA256      string           `json:"sha256" doc:"Hex SHA-256 of the module"`
	SizeBytes   int              `json:"size_bytes" doc:"The module's size"`
	Config      json.RawMessage  `json:"config" doc:"The policy's configuration (null when none)"`
	FailureMode string           `json:"failure_mode" enum:"closed,open"`
	Tests       []PolicyTestCase `json:"tests" nullable:"false" doc:"The version's self-tests"`
	Active      bool             `json:"active" doc:"Whether this version is in the chain"`
	CreatedAt   time.Time        `json:"created_at"`
	CreatedBy   string           `json:"created_by" doc:"The admin who uploaded it"`
}

// PolicyVersionList is every version of one policy, oldest first.
type PolicyVersionList struct {
	Items []PolicyVersionBody `json:"items" nullable:"false"`
}

// ChainEntryBody is one policy of the active chain.
type ChainEntryBody struct {
	Name        string `json:"name" example:"ratelimit"`
	Version     int64  `json:"version" doc:"The active stored version; 0 for a bundled policy"`
	Bundled     bool   `json:"bundled" doc:"The gateway's own version of the policy"`
	FailureMode string `json:"failure_mode" enum:"closed,open"`
}

// PolicySummary is one stored policy.
type PolicySummary struct {
	Name          string `json:"name" example:"timewindow"`
	Versions      int    `json:"versions" doc:"Stored versions"`
	ActiveVersion int64  `json:"active_version" doc:"The active version; 0 when none is"`
}

// PolicyList is the active chain, in evaluation order, and every stored policy.
type PolicyList struct {
	Chain    []ChainEntryBody `json:"chain" nullable:"false" doc:"The policies every request passes, in order; the first deny decides"`
	Policies []PolicySummary  `json:"policies" nullable:"false" doc:"Stored policies by name"`
}

// PolicyActivate names the version to activate.
type PolicyActivate struct {
	Version int64 `json:"version" minimum:"1" doc:"The version to make active" example:"2"`
}

// PolicyDryRun is a sample request to decide without counting it.
type PolicyDryRun struct {
	Version  int64           `json:"version,omitempty" minimum:"0" doc:"The version to run; 0 or absent: the one in the active chain"`
	APIKeyID string          `json:"api_key_id,omitempty" doc:"Fill input.key from this stored key"`
	Input    json.RawMessage `json:"input,omitempty" doc:"A policy input (ABI v1: request, key, counters, now_ms); now_ms defaults to now" example:"{\"request\":{\"model\":\"opus\",\"max_tokens\":4096}}"`
}

// PolicyRewrite is an allowed request's changes.
type PolicyRewrite struct {
	MaxTokens *int64  `json:"max_tokens,omitempty" doc:"The clamped max_tokens"`
	Model     *string `json:"model,omitempty"`
}

// PolicyDecision is a policy's verdict on a dry run.
type PolicyDecision struct {
	Policy      string         `json:"policy" example:"permissions"`
	Version     int64          `json:"version" doc:"The version that ran; 0 for a bundled policy"`
	Allow       bool           `json:"allow"`
	Code        string         `json:"code,omitempty" doc:"The deny code" example:"model_not_allowed"`
	Reason      string         `json:"reason,omitempty"`
	RetryAfterS int64          `json:"retry_after_s,omitempty"`
	Rewrite     *PolicyRewrite `json:"rewrite,omitempty"`
	Error       string         `json:"error,omitempty" doc:"Why the policy failed (then its failure mode decided)"`
}

func versionBody(p *store.PolicyVersion) PolicyVersionBody {
	b := PolicyVersionBody{
		Name: p.Name, Version: p.Version, SHA256: p.SHA256, SizeBytes: len(p.Wasm), Config: rawOrNull(p.Config),
		FailureMode: p.FailureMode, Tests: []PolicyTestCase{}, Active: p.Active, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy,
	}
	if b.FailureMode == "" {
		b.FailureMode = policyset.FailClosed
	}
	_ = json.Unmarshal([]byte(p.Tests), &b.Tests)
	if b.Tests == nil {
		b.Tests = []PolicyTestCase{}
	}
	return b
}

func chainBody(es []policyset.Entry) []ChainEntryBody {
	out := make([]ChainEntryBody, 0, len(es))
	for _, e := range es {
		out = append(out, ChainEntryBody{Name: e.Name, Version: e.Version, Bundled: e.Bundled, FailureMode: e.FailureMode})
	}
	return out
}

func decisionBody(name string, version int64, d policies.Decision, err error) PolicyDecision {
	out := PolicyDecision{Policy: name, Version: version, Allow: d.Allow, Code: d.Code, Reason: d.Reason, RetryAfterS: d.RetryAfterS}
	if rw := d.Rewrite; rw != nil && d.Allow {
		out.Rewrite = &PolicyRewrite{MaxTokens: rw.MaxTokens, Model: rw.Model}
	}
	if err != nil {
		out.Error = err.Error()
	}
	return out
}
