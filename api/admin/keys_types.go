package admin

import (
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// PermissionsBody limits what a key may ask for.
type PermissionsBody struct {
	Models         []string `json:"models" nullable:"false" doc:"Model ids or aliases the key may use; empty = every model" example:"[\"sonnet\"]"`
	MaxTokens      int64    `json:"max_tokens" minimum:"0" doc:"Cap on a reply's output tokens; 0 = no cap" example:"4096"`
	AllowStreaming bool     `json:"allow_streaming" doc:"Whether the key may stream replies" example:"true"`
}

// UsageLimitInput is UsageLimitBody in requests: a field left out keeps its value
// (0 = unlimited on a new key).
type UsageLimitInput struct {
	RequestsPerMinute *int64 `json:"requests_per_minute,omitempty" minimum:"0" doc:"Requests per minute; 0 = unlimited" example:"10"`
	RequestsPerDay    *int64 `json:"requests_per_day,omitempty" minimum:"0" doc:"Requests per UTC day; 0 = unlimited" example:"1000"`
	TokensPerDay      *int64 `json:"tokens_per_day,omitempty" minimum:"0" doc:"Tokens (input + output) per UTC day; 0 = unlimited" example:"100000"`
}

// apply sets the limits present in u.
func (u *UsageLimitInput) apply(l *store.UsageLimit) {
	if u == nil {
		return
	}
	for _, f := range []struct {
		in  *int64
		out *int64
	}{{u.RequestsPerMinute, &l.RequestsPerMinute}, {u.RequestsPerDay, &l.RequestsPerDay}, {u.TokensPerDay, &l.TokensPerDay}} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
}

// PermissionsInput is PermissionsBody in requests: a field left out keeps its
// value (on a new key: every model, no cap, streaming allowed).
type PermissionsInput struct {
	Models         []string `json:"models,omitempty" maxItems:"100" doc:"Model ids or aliases the key may use; [] = every model" example:"[\"sonnet\"]"`
	MaxTokens      *int64   `json:"max_tokens,omitempty" minimum:"0" doc:"Cap on a reply's output tokens; 0 = no cap" example:"4096"`
	AllowStreaming *bool    `json:"allow_streaming,omitempty" doc:"Whether the key may stream replies (default true)" example:"true"`
}

// MetadataBody is free descriptive data about a key.
type MetadataBody struct {
	UserID      string `json:"user_id" maxLength:"200" example:"u_42"`
	Project     string `json:"project" maxLength:"200" example:"support-bot"`
	Description string `json:"description" maxLength:"2000" example:"Staging key for the support bot"`
}

// MetadataInput is MetadataBody in requests: every field is optional, and the
// object replaces the key's metadata (a field left out is empty).
type MetadataInput struct {
	UserID      string `json:"user_id,omitempty" maxLength:"200" example:"u_42"`
	Project     string `json:"project,omitempty" maxLength:"200" example:"support-bot"`
	Description string `json:"description,omitempty" maxLength:"2000" example:"Staging key for the support bot"`
}

// APIKeyBody is an API key as the admin API shows it.
type APIKeyBody struct {
	ID                    string             `json:"id" format:"uuid" example:"5a0f7c1e-4d1e-4c8b-9a51-1f6f0d8d2b7e"`
	Key                   string             `json:"key" doc:"The secret: in full only in the responses of create and rotate, masked everywhere else" example:"sk-ccg-AbCdE…"`
	Name                  string             `json:"name" example:"support-bot"`
	Status                string             `json:"status" enum:"active,suspended,expired" doc:"expired also when expires_at has passed"`
	CreatedAt             time.Time          `json:"created_at"`
	ExpiresAt             *time.Time         `json:"expires_at" doc:"When the key stops working; null = never"`
	LastUsedAt            *time.Time         `json:"last_used_at" doc:"Last request with this key (updated at most every 30 s); null = never"`
	UsageLimit            api.UsageLimitBody `json:"usage_limit"`
	Permissions           PermissionsBody    `json:"permissions"`
	Metadata              MetadataBody       `json:"metadata"`
	MaxConcurrentRequests int64              `json:"max_concurrent_requests" doc:"Requests in flight at once; 0 = the gateway's default cap (setting key-default-concurrency: 2 × max-processes unless set)" example:"4"`
	CostUSDPerDay         float64            `json:"cost_usd_per_day" doc:"Spend per UTC day in USD; 0 = unlimited" example:"5"`
	AllowedIPs            []string           `json:"allowed_ips" nullable:"false" doc:"CIDRs the key may be used from; empty = anywhere" example:"[\"203.0.113.0/24\"]"`
	RequireSignature      bool               `json:"require_signature" doc:"Requests must carry an HMAC signature (see docs/security.md)"`
	SigningSecret         string             `json:"signing_secret,omitempty" doc:"The HMAC signing secret: only in the responses of create and rotate, when require_signature is set"`
	Tools                 []string           `json:"tools" nullable:"false" doc:"CLI tools the key may use; empty = none" example:"[]"`
	PreviousKeyValidUntil *time.Time         `json:"previous_key_valid_until,omitempty" doc:"After a rotation with a grace period: when the old secret stops working"`
}

// APIKeyCreate is the body of POST /admin/api-keys.
type APIKeyCreate struct {
	Name                  string            `json:"name" minLength:"1" maxLength:"200" example:"support-bot"`
	Status                string            `json:"status,omitempty" enum:"active,suspended" doc:"Initial status (default active)"`
	ExpiresAt             *time.Time        `json:"expires_at,omitempty" doc:"When the key stops working; omit for never"`
	UsageLimit            *UsageLimitInput  `json:"usage_limit,omitempty"`
	Permissions           *PermissionsInput `json:"permissions,omitempty"`
	Metadata              *MetadataInput    `json:"metadata,omitempty"`
	MaxConcurrentRequests int64             `json:"max_concurrent_requests,omitempty" minimum:"0" maximum:"10000" doc:"Requests in flight at once; 0 = the gateway's default cap (key-default-concurrency)" example:"4"`
	CostUSDPerDay         float64           `json:"cost_usd_per_day,omitempty" minimum:"0" example:"5"`
	AllowedIPs            []string          `json:"allowed_ips,omitempty" maxItems:"100" doc:"CIDRs or addresses" example:"[\"203.0.113.0/24\"]"`
	RequireSignature      bool              `json:"require_signature,omitempty" doc:"Issue a signing secret and require signed requests"`
	Tools                 []string          `json:"tools,omitempty" maxItems:"50" doc:"CLI tools to allow (none by default)" example:"[]"`
}

// APIKeyUpdate is the body of PUT /admin/api-keys/{id}. Every field is optional:
// what is omitted keeps its value. Suspend or activate with status.
type APIKeyUpdate struct {
	Name                  *string           `json:"name,omitempty" minLength:"1" maxLength:"200" example:"support-bot"`
	Status                *string           `json:"status,omitempty" enum:"active,suspended,expired" doc:"active to activate, suspended to suspend, expired to end the key now"`
	ExpiresAt             *time.Time        `json:"expires_at,omitempty" doc:"New expiry"`
	ClearExpiry           bool              `json:"clear_expiry,omitempty" doc:"Remove the expiry (the key never expires)"`
	UsageLimit            *UsageLimitInput  `json:"usage_limit,omitempty"`
	Permissions           *PermissionsInput `json:"permissions,omitempty"`
	Metadata              *MetadataInput    `json:"metadata,omitempty"`
	MaxConcurrentRequests *int64            `json:"max_concurrent_requests,omitempty" minimum:"0" maximum:"10000" doc:"Requests in flight at once; 0 = the gateway's default cap (key-default-concurrency)"`
	CostUSDPerDay         *float64          `json:"cost_usd_per_day,omitempty" minimum:"0"`
	AllowedIPs            []string          `json:"allowed_ips,omitempty" maxItems:"100" doc:"Replaces the list; send [] to allow any address"`
	RequireSignature      *bool             `json:"require_signature,omitempty" doc:"Turning it on issues a signing secret, returned once in this response"`
	Tools                 []string          `json:"tools,omitempty" maxItems:"50" doc:"Replaces the list; send [] for none"`
}

// APIKeyRotate is the body of POST /admin/api-keys/{id}/rotate.
type APIKeyRotate struct {
	GracePeriodSeconds  int64 `json:"grace_period_seconds,omitempty" minimum:"0" maximum:"2592000" doc:"How long the old secret keeps working; 0 = it stops at once" example:"3600"`
	RotateSigningSecret bool  `json:"rotate_signing_secret,omitempty" doc:"Also issue a new signing secret (the old one stops at once)"`
}

// APIKeyList is one page of keys.
type APIKeyList struct {
	Items  []APIKeyBody `json:"items" nullable:"false"`
	Total  int          `json:"total" doc:"Keys matching the filter, over all pages"`
	Limit  int          `json:"limit"`
	Offset int          `json:"offset"`
}

// keyStatus is the status a key shows: expired once expires_at has passed.
func keyStatus(k *store.APIKey, now time.Time) string {
	if k.Status == store.KeyActive && k.ExpiresAt != nil && !now.Before(*k.ExpiresAt) {
		return store.KeyExpired
	}
	return k.Status
}

// keyBody renders k with its secret masked; create and rotate set Key in full.
func keyBody(k *store.APIKey) APIKeyBody {
	perms := k.Permissions
	b := APIKeyBody{
		ID: k.ID, Key: k.Prefix, Name: k.Name, Status: keyStatus(k, time.Now()),
		CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt,
		UsageLimit:  api.UsageLimitBody(k.UsageLimit),
		Permissions: PermissionsBody{Models: nonNil(perms.Models), MaxTokens: perms.MaxTokens, AllowStreaming: perms.AllowStreaming},
		Metadata:    MetadataBody(k.Metadata), MaxConcurrentRequests: k.MaxConcurrentRequests,
		CostUSDPerDay: k.CostUSDPerDay, AllowedIPs: nonNil(k.AllowedIPs),
		RequireSignature: k.RequireSignature, Tools: nonNil(k.Tools),
	}
	if b.Key == "" {
		b.Key = auth.KeyPrefix + "…"
	}
	if k.PrevHash != "" && k.PrevHashExpiresAt != nil && time.Now().Before(*k.PrevHashExpiresAt) {
		b.PreviousKeyValidUntil = k.PrevHashExpiresAt
	}
	return b
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return append([]string{}, s...)
}
