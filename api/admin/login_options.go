package admin

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

// LoginOptions tells a sign-in page how admins may sign in.
type LoginOptions struct {
	Password bool `json:"password" doc:"Local username and password (POST /admin/login); always true"`
	// OIDC is single sign-on with the configured OpenID Connect provider; absent when
	// oidc-client-id is not set. (No doc tag: a description beside a $ref is not
	// valid OpenAPI 3.0, and the spec-conformance validator refuses it.)
	OIDC *OIDCOption `json:"oidc,omitempty"`
}

// OIDCOption is what a browser needs for the authorization code flow with PKCE.
type OIDCOption struct {
	Issuer   string   `json:"issuer" example:"https://login.example.com/realms/ops" doc:"The provider; its endpoints are in <issuer>/.well-known/openid-configuration"`
	ClientID string   `json:"client_id" example:"ccgateway-console" doc:"The console's public client id"`
	Scopes   []string `json:"scopes" nullable:"false" example:"[\"openid\",\"profile\",\"email\"]"`
}

type loginOptionsOutput struct{ Body LoginOptions }

func registerLoginOptions(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-login-options", Method: http.MethodGet, Path: "/admin/login-options",
		Summary: "How admins sign in", Tags: []string{"admin"},
		Description: "Public: the sign-in methods the admin console offers (password, and SSO when an OIDC client id is configured).",
	}, func(ctx context.Context, _ *struct{}) (*loginOptionsOutput, error) {
		out := &loginOptionsOutput{Body: LoginOptions{Password: true}}
		if c := s.Config; c.OIDCClientID != "" && c.OIDCIssuer != "" {
			scopes := append([]string{}, c.OIDCScopes...)
			out.Body.OIDC = &OIDCOption{Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, Scopes: scopes}
		}
		return out, nil
	})
}
