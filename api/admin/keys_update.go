package admin

import (
	"context"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

func (s *server) updateKey(ctx context.Context, in *updateKeyInput) (*keyOutput, error) {
	k, err := s.Store.GetAPIKey(ctx, in.ID)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	before := keyBody(k)
	b := &in.Body
	var fe api.FieldErrors
	checkAllowedIPs(&fe, b.AllowedIPs)
	checkTools(&fe, b.Tools)
	checkExpiry(&fe, b.ExpiresAt)
	s.checkPermissions(&fe, b.Permissions)
	if b.ExpiresAt != nil && b.ClearExpiry {
		fe.Add("body.clear_expiry", "cannot be combined with expires_at", true)
	}
	if err := fe.Problem(); err != nil {
		return nil, err
	}
	applyKeyUpdate(k, b)
	s.applyPermissions(k, b.Permissions)
	if b.Status != nil && *b.Status == store.KeyActive && keyStatus(k, time.Now()) == store.KeyExpired {
		fe.Add("body.status", "the key's expires_at has passed: set a later expires_at (or clear_expiry) to activate it", *b.Status)
		return nil, fe.Problem()
	}
	after, err := s.saveKey(ctx, k, "api_key.update", before, false)
	if err != nil {
		return nil, err
	}
	return &keyOutput{Body: after}, nil
}

// applyKeyUpdate copies the fields present in b onto k.
func applyKeyUpdate(k *store.APIKey, b *APIKeyUpdate) {
	if b.Name != nil {
		k.Name = *b.Name
	}
	if b.Status != nil {
		k.Status = *b.Status
	}
	if b.ExpiresAt != nil {
		k.ExpiresAt = b.ExpiresAt
	}
	if b.ClearExpiry {
		k.ExpiresAt = nil
	}
	b.UsageLimit.apply(&k.UsageLimit)
	if b.Metadata != nil {
		k.Metadata = store.KeyMetadata(*b.Metadata)
	}
	if b.MaxConcurrentRequests != nil {
		k.MaxConcurrentRequests = *b.MaxConcurrentRequests
	}
	if b.CostUSDPerDay != nil {
		k.CostUSDPerDay = *b.CostUSDPerDay
	}
	if b.AllowedIPs != nil {
		k.AllowedIPs = normalizeCIDRs(b.AllowedIPs)
	}
	if b.Tools != nil {
		k.Tools = b.Tools
	}
	if b.RequireSignature != nil {
		k.RequireSignature = *b.RequireSignature
		if !k.RequireSignature {
			k.SigningSecret = ""
		}
	}
}

type deleteKeyOutput struct{}

func (s *server) deleteKey(ctx context.Context, in *keyIDPath) (*deleteKeyOutput, error) {
	k, err := s.Store.GetAPIKey(ctx, in.ID)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	// The key's conversations, CLI processes and tenant directory go with it.
	if err := s.Actors.DeleteTenant(ctx, in.ID); err != nil {
		return nil, api.ToProblem(err)
	}
	s.KeysChanged()
	s.audit(ctx, "api_key.delete", k.ID, keyBody(k), nil)
	return &deleteKeyOutput{}, nil
}

func (s *server) rotateKey(ctx context.Context, in *rotateKeyInput) (*keyOutput, error) {
	k, err := s.Store.GetAPIKey(ctx, in.ID)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	opts := APIKeyRotate{}
	if in.Body != nil {
		opts = *in.Body
	}
	before := keyBody(k)
	gen, err := auth.GenerateKey()
	if err != nil {
		return nil, err
	}
	k.PrevHash, k.PrevHashExpiresAt = "", nil
	if opts.GracePeriodSeconds > 0 {
		until := time.Now().Add(time.Duration(opts.GracePeriodSeconds) * time.Second).UTC()
		k.PrevHash, k.PrevHashExpiresAt = k.Hash, &until
	}
	k.Hash, k.Prefix = gen.Hash, gen.Prefix
	after, err := s.saveKey(ctx, k, "api_key.rotate", before, opts.RotateSigningSecret)
	if err != nil {
		return nil, err
	}
	after.Key = gen.Secret
	return &keyOutput{Body: after}, nil
}

// saveKey stores a changed key: it issues a signing secret when the key needs one
// (or newSigning asks for a fresh one), writes the row, drops cached lookups and
// audits the change. The returned body shows a newly issued signing secret, once.
func (s *server) saveKey(ctx context.Context, k *store.APIKey, action string, before APIKeyBody, newSigning bool) (APIKeyBody, error) {
	issued := ""
	if k.RequireSignature && (newSigning || k.SigningSecret == "") {
		var err error
		if issued, err = auth.GenerateSigningSecret(); err != nil {
			return APIKeyBody{}, err
		}
		k.SigningSecret = issued
	}
	if err := s.Store.UpdateAPIKey(ctx, k); err != nil {
		return APIKeyBody{}, api.ToProblem(err)
	}
	s.KeysChanged()
	after := keyBody(k)
	s.audit(ctx, action, k.ID, before, after)
	after.SigningSecret = issued
	return after, nil
}
