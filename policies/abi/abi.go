// Package abi is the contract between the ccgateway policy host and WASM policy
// guests (ABI version 1). It imports only the standard library so that both the host
// (package policies) and guests built with GOOS=wasip1 (plugins/sdk) can share it.
//
// A guest module must export:
//
//	memory                  its linear memory
//	ccg_buffer(size u32) u32 a pointer to a buffer of at least size bytes; the host
//	                         writes the input JSON there. It stays valid until the
//	                         next ccg_buffer call.
//	evaluate(len u32) u64    decodes the Input JSON of len bytes from the buffer and
//	                         returns ptr<<32 | len of the Output JSON in memory.
//	abi_version() u32        returns Version (1).
//	input_fields() u64       optional: the Fields the policy reads; the host may
//	                         leave the others out of the input (they decode as
//	                         zero values). Without it the host sends every field.
//	ccg_gc()                 optional: collect garbage. The host calls it between
//	                         evaluations, every so many calls, under a longer
//	                         deadline, so that guests can keep their collector out
//	                         of the evaluations (the Go SDK turns automatic
//	                         collection off).
//
// and may import only from the WASI preview1 module and from ImportModule ("ccg"):
//
//	log(ptr, len u32)        logs a message (length and rate are capped by the host)
//	now_ms() i64             the host's wall clock in Unix milliseconds
package abi

import "encoding/json"

// Version is the ABI version this package describes; abi_version() must return it.
const Version = 1

// Names of the guest exports and host imports of ABI v1.
const (
	ExportMemory     = "memory"
	ExportBuffer     = "ccg_buffer"
	ExportEvaluate   = "evaluate"
	ExportABIVersion = "abi_version"
	ExportFields     = "input_fields"
	ExportGC         = "ccg_gc"

	ImportModule = "ccg"
	ImportLog    = "log"
	ImportNowMS  = "now_ms"

	// WASIModule is the WASI preview1 module that Go's wasip1 port needs.
	WASIModule = "wasi_snapshot_preview1"
)

// Deny codes used by the bundled policies and the host. Custom policies may use
// their own codes (lower snake case).
const (
	CodeRateLimitMinute     = "rate_limit_minute"
	CodeRateLimitDay        = "rate_limit_day"
	CodeTokenLimitDay       = "token_limit_day"
	CodeConcurrencyLimit    = "concurrency_limit"
	CodeCostLimitDay        = "cost_limit_day"
	CodeModelNotAllowed     = "model_not_allowed"
	CodeMaxTokensExceeded   = "max_tokens_exceeded"
	CodeStreamingNotAllowed = "streaming_not_allowed"
	CodeToolNotAllowed      = "tool_not_allowed"
	CodeOutsideTimeWindow   = "outside_time_window"
	CodeKeyNotActive        = "key_not_active"

	// CodePolicyError is the host's deny code when a fail-closed policy errs.
	CodePolicyError = "policy_error"
)

// Fields is a set of Input members, as returned by a guest's optional
// input_fields export. Decoding a guest's input costs time in proportion to its
// members (Go guests under wazero pay tens of nanoseconds per branch), so a policy
// that declares the few it reads is decided several times faster.
type Fields uint64

// The members of Input a policy can ask for. Objects (UsageLimit, Permissions,
// Counters, Metadata) come whole.
const (
	FieldRequestEndpoint Fields = 1 << iota
	FieldRequestModel
	FieldRequestMaxTokens
	FieldRequestStream
	FieldRequestTools
	FieldRequestClientIP
	FieldRequestConversationID
	FieldRequestMessageBytes
	FieldKeyID
	FieldKeyStatus
	FieldKeyUsageLimit
	FieldKeyPermissions
	FieldKeyMetadata
	FieldKeyMaxConcurrentRequests
	FieldKeyCostUSDPerDay
	FieldKeyTools
	FieldCounters
	FieldNowMS
	FieldConfig

	// FieldsAll is every member; the host assumes it without an input_fields export.
	FieldsAll Fields = 1<<iota - 1
)

// Input is what the host passes to a policy on every evaluation.
type Input struct {
	ABI      int      `json:"abi"`
	Request  Request  `json:"request"`
	Key      Key      `json:"key"`
	Counters Counters `json:"counters"`
	// NowMS is the evaluation time in Unix milliseconds (UTC); policies should use it
	// rather than a clock so that decisions are reproducible in tests.
	NowMS int64 `json:"now_ms"`
	// Config is the policy's own configuration, given when it was uploaded.
	Config json.RawMessage `json:"config,omitempty"`
}

// Request describes the API call being admitted.
type Request struct {
	Endpoint       string   `json:"endpoint"`
	Model          string   `json:"model"`
	MaxTokens      int64    `json:"max_tokens"`
	Stream         bool     `json:"stream"`
	Tools          []string `json:"tools,omitempty"`
	ClientIP       string   `json:"client_ip"`
	ConversationID string   `json:"conversation_id"`
	MessageBytes   int64    `json:"message_bytes"`
}

// Key is the API key's configuration. Zero limits mean unlimited.
type Key struct {
	ID          string      `json:"id"`
	Status      string      `json:"status"`
	UsageLimit  UsageLimit  `json:"usage_limit"`
	Permissions Permissions `json:"permissions"`
	// Metadata holds the key's user_id, project and description, plus any other
	// string the admin attached.
	Metadata              map[string]string `json:"metadata,omitempty"`
	MaxConcurrentRequests int64             `json:"max_concurrent_requests"`
	CostUSDPerDay         float64           `json:"cost_usd_per_day"`
	// Tools is the key's CLI tool allowlist; empty means no tools.
	Tools []string `json:"tools,omitempty"`
}

// UsageLimit holds the key's quotas; zero means unlimited.
type UsageLimit struct {
	RequestsPerMinute int64 `json:"requests_per_minute"`
	RequestsPerDay    int64 `json:"requests_per_day"`
	TokensPerDay      int64 `json:"tokens_per_day"`
}

// Permissions limits what the key may ask for; empty Models means every model and
// zero MaxTokens means no cap.
type Permissions struct {
	Models         []string `json:"models,omitempty"`
	MaxTokens      int64    `json:"max_tokens"`
	AllowStreaming bool     `json:"allow_streaming"`
}

// Counters are the key's live usage, not counting the request being admitted.
// "Today" is the current UTC day.
type Counters struct {
	RequestsLastMinute int64   `json:"requests_last_minute"`
	RequestsToday      int64   `json:"requests_today"`
	TokensToday        int64   `json:"tokens_today"`
	CostToday          float64 `json:"cost_today"`
	InFlight           int64   `json:"in_flight"`
}

// Output is a policy's decision.
type Output struct {
	Allow bool `json:"allow"`
	// Code is a machine-readable deny code (see the Code constants); empty on allow.
	Code   string `json:"code,omitempty"`
	Reason string `json:"reason,omitempty"`
	// RetryAfterS, when positive, tells the client when a retry may succeed.
	RetryAfterS int64 `json:"retry_after_s,omitempty"`
	// Rewrite, on allow, changes the request for the following policies and the CLI.
	Rewrite *Rewrite `json:"rewrite,omitempty"`
}

// Rewrite changes fields of an allowed request; nil fields are left alone.
type Rewrite struct {
	MaxTokens *int64  `json:"max_tokens,omitempty"`
	Model     *string `json:"model,omitempty"`
}

// Allowed returns an Output that allows the request unchanged.
func Allowed() Output { return Output{Allow: true} }

// Denied returns an Output that denies the request with code and reason.
func Denied(code, reason string) Output { return Output{Code: code, Reason: reason} }
