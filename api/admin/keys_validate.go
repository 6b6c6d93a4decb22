package admin

import (
	"fmt"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// checkAllowedIPs validates CIDRs or addresses at body.allowed_ips[i].
func checkAllowedIPs(f *api.FieldErrors, ips []string) {
	for i, ip := range ips {
		if _, err := auth.ParseCIDRs([]string{ip}); err != nil {
			f.Add(fmt.Sprintf("body.allowed_ips[%d]", i), "not an IP address or CIDR", ip)
		}
	}
}

// checkTools validates tool grant entries at body.tools[i] with the CLI driver's
// own validator, so that every grant the admin API accepts is one the driver
// runs: a built-in tool name, optionally with a permission rule ("Read",
// "Bash(git status:*)").
func checkTools(f *api.FieldErrors, tools []string) {
	for i, t := range tools {
		if err := actors.ValidateTool(t); err != nil {
			f.Add(fmt.Sprintf("body.tools[%d]", i), err.Error(), t)
		}
	}
}

// checkPermissions validates the model list against the configured models.
func (s *server) checkPermissions(f *api.FieldErrors, p *PermissionsInput) {
	if p == nil {
		return
	}
	for i, m := range p.Models {
		if !s.Config.KnownModel(m) {
			f.Add(fmt.Sprintf("body.permissions.models[%d]", i), "not a model offered here (see GET /api/models)", m)
		}
	}
}

// checkExpiry refuses an expiry in the past.
func checkExpiry(f *api.FieldErrors, t *time.Time) {
	if t != nil && !t.After(time.Now()) {
		f.Add("body.expires_at", "must be in the future", t.Format(time.RFC3339))
	}
}

// applyPermissions copies the fields present in p onto k.
func (s *server) applyPermissions(k *store.APIKey, p *PermissionsInput) {
	if p == nil {
		return
	}
	if p.Models != nil {
		k.Permissions.Models = nil
		for _, m := range p.Models {
			k.Permissions.Models = append(k.Permissions.Models, s.Config.ResolveModel(m))
		}
	}
	if p.MaxTokens != nil {
		k.Permissions.MaxTokens = *p.MaxTokens
	}
	if p.AllowStreaming != nil {
		k.Permissions.AllowStreaming = *p.AllowStreaming
	}
}

// normalizeCIDRs stores allowlist entries in their canonical CIDR form.
func normalizeCIDRs(ips []string) []string {
	prefixes, err := auth.ParseCIDRs(ips)
	if err != nil {
		return ips
	}
	out := make([]string, len(prefixes))
	for i, p := range prefixes {
		out[i] = p.String()
	}
	return out
}
