package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

type keyIDPath struct {
	ID string `path:"id" format:"uuid" doc:"The key's id" example:"5a0f7c1e-4d1e-4c8b-9a51-1f6f0d8d2b7e"`
}

type createKeyInput struct{ Body APIKeyCreate }

type createKeyOutput struct {
	Location string `header:"Location" doc:"The new key's URL"`
	Body     APIKeyBody
}

type listKeysInput struct {
	Status string `query:"status" enum:"active,suspended,expired" doc:"Only keys with this status"`
	Search string `query:"search" maxLength:"200" doc:"Case-insensitive substring of the name, user_id, project or description"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" doc:"Page size"`
	Offset int    `query:"offset" minimum:"0" doc:"Keys to skip"`
}

type listKeysOutput struct{ Body APIKeyList }

type keyOutput struct{ Body APIKeyBody }

type updateKeyInput struct {
	ID   string `path:"id" format:"uuid" doc:"The key's id" example:"5a0f7c1e-4d1e-4c8b-9a51-1f6f0d8d2b7e"`
	Body APIKeyUpdate
}

type rotateKeyInput struct {
	ID   string `path:"id" format:"uuid" doc:"The key's id" example:"5a0f7c1e-4d1e-4c8b-9a51-1f6f0d8d2b7e"`
	Body *APIKeyRotate
}

// adminErrors are the errors every admin operation documents.
var adminErrors = []int{400, 401, 403, 422, 429, 503}

func registerAdminKeys(hapi huma.API, s *server) {
	tags := []string{"admin: keys"}
	create := huma.Operation{
		OperationID: "create-api-key", Method: http.MethodPost, Path: "/admin/api-keys",
		Summary: "Create an API key", Tags: tags, Security: api.AdminSecurity, DefaultStatus: http.StatusCreated,
		Description: "Creates a key. The response is the only time the full secret (and, with require_signature, the signing secret) is shown.",
		Errors:      append(adminErrors, 409),
	}
	api.IdempotentOperation(&create, api.Idempotent{Redact: redactCreatedKey})
	huma.Register(hapi, create, s.createKey)
	huma.Register(hapi, huma.Operation{
		OperationID: "list-api-keys", Method: http.MethodGet, Path: "/admin/api-keys",
		Summary: "List API keys", Tags: tags, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "Keys newest first, with secrets masked; filter by status and search by name or metadata.",
	}, s.listKeys)
	huma.Register(hapi, huma.Operation{
		OperationID: "get-api-key", Method: http.MethodGet, Path: "/admin/api-keys/{id}",
		Summary: "Get an API key", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Returns the key's settings, limits and status; never its secret (shown once, on creation or rotation).",
	}, func(ctx context.Context, in *keyIDPath) (*keyOutput, error) {
		k, err := s.Store.GetAPIKey(ctx, in.ID)
		if err != nil {
			return nil, api.ToProblem(err)
		}
		return &keyOutput{Body: keyBody(k)}, nil
	})
	huma.Register(hapi, huma.Operation{
		OperationID: "update-api-key", Method: http.MethodPut, Path: "/admin/api-keys/{id}",
		Summary: "Update an API key", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Changes the fields present in the body; omitted fields keep their values. Suspend with {\"status\":\"suspended\"}, activate with {\"status\":\"active\"}.",
	}, s.updateKey)
	huma.Register(hapi, huma.Operation{
		OperationID: "delete-api-key", Method: http.MethodDelete, Path: "/admin/api-keys/{id}",
		Summary: "Delete an API key", Tags: tags, Security: api.AdminSecurity, DefaultStatus: http.StatusNoContent,
		Description: "Deletes the key and its conversations; its usage events stay for reporting.",
		Errors:      append(adminErrors, 404),
	}, s.deleteKey)
	huma.Register(hapi, huma.Operation{
		OperationID: "rotate-api-key", Method: http.MethodPost, Path: "/admin/api-keys/{id}/rotate",
		Summary: "Rotate an API key's secret", Tags: tags, Security: api.AdminSecurity, Errors: append(adminErrors, 404),
		Description: "Issues a new secret, shown once in the response. With grace_period_seconds the old secret keeps working until previous_key_valid_until.",
	}, s.rotateKey)
}

func (s *server) createKey(ctx context.Context, in *createKeyInput) (*createKeyOutput, error) {
	b := &in.Body
	var fe api.FieldErrors
	checkAllowedIPs(&fe, b.AllowedIPs)
	checkTools(&fe, b.Tools)
	checkExpiry(&fe, b.ExpiresAt)
	s.checkPermissions(&fe, b.Permissions)
	if err := fe.Problem(); err != nil {
		return nil, err
	}
	gen, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	k := &store.APIKey{
		ID: uuid.NewString(), Name: b.Name, Prefix: gen.Prefix, Hash: gen.Hash, Status: store.KeyActive,
		ExpiresAt: b.ExpiresAt, MaxConcurrentRequests: b.MaxConcurrentRequests, CostUSDPerDay: b.CostUSDPerDay,
		AllowedIPs: normalizeCIDRs(b.AllowedIPs), RequireSignature: b.RequireSignature, Tools: b.Tools,
		Permissions: store.Permissions{AllowStreaming: true},
	}
	if b.Status != "" {
		k.Status = b.Status
	}
	b.UsageLimit.apply(&k.UsageLimit)
	if b.Metadata != nil {
		k.Metadata = store.KeyMetadata(*b.Metadata)
	}
	s.applyPermissions(k, b.Permissions)
	if k.RequireSignature {
		if k.SigningSecret, err = auth.GenerateSigningSecret(); err != nil {
			return nil, err
		}
	}
	if err := s.Store.CreateAPIKey(ctx, k); err != nil {
		return nil, api.ToProblem(err)
	}
	s.KeysChanged()
	body := keyBody(k)
	s.audit(ctx, "api_key.create", k.ID, nil, body)
	body.Key, body.SigningSecret = gen.Secret, k.SigningSecret
	return &createKeyOutput{Location: "/admin/api-keys/" + k.ID, Body: body}, nil
}

func (s *server) listKeys(ctx context.Context, in *listKeysInput) (*listKeysOutput, error) {
	if err := s.expireKeys(ctx); err != nil {
		return nil, api.ToProblem(err)
	}
	keys, total, err := s.Store.ListAPIKeys(ctx, store.KeyFilter{Status: in.Status, Search: in.Search, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return nil, api.ToProblem(err)
	}
	out := &listKeysOutput{Body: APIKeyList{Items: []APIKeyBody{}, Total: total, Limit: in.Limit, Offset: in.Offset}}
	for _, k := range keys {
		out.Body.Items = append(out.Body.Items, keyBody(k))
	}
	return out, nil
}

// expireKeys stores status expired on active keys whose expires_at has passed,
// so that filtering by status agrees with what keys show.
func (s *server) expireKeys(ctx context.Context) error {
	now := time.Now()
	for offset := 0; ; offset += 500 {
		keys, total, err := s.Store.ListAPIKeys(ctx, store.KeyFilter{Status: store.KeyActive, Limit: 500, Offset: offset})
		if err != nil {
			return err
		}
		expired := 0
		for _, k := range keys {
			if keyStatus(k, now) != store.KeyExpired {
				continue
			}
			before := keyBody(k)
			k.Status = store.KeyExpired
			if err := s.Store.UpdateAPIKey(ctx, k); err != nil {
				return err
			}
			expired++
			s.auditAs(ctx, "system", "api_key.expire", k.ID, before, keyBody(k))
		}
		if expired > 0 {
			s.KeysChanged()
		}
		if offset+500-expired >= total {
			return nil
		}
		offset -= expired // expired keys left the active set
	}
}

// redactCreatedKey is what an Idempotency-Key keeps of a created key: the
// answer with its secret masked and without its signing secret. Secrets are
// stored hashed only, so a replay cannot show them again; a client that lost
// the first answer learns the key's id and rotates it for a new secret.
func redactCreatedKey(body []byte) []byte {
	var b APIKeyBody
	if err := json.Unmarshal(body, &b); err != nil {
		return nil // not the documented answer: keep nothing of it
	}
	if auth.LooksLikeKey(b.Key) {
		b.Key = auth.MaskKey(b.Key)
	}
	b.SigningSecret = ""
	out, err := json.Marshal(b)
	if err != nil {
		return nil
	}
	return append(out, '\n')
}
