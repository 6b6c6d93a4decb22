// Package api is ccgateway's HTTP kernel: the chi router with huma on it, the
// middleware order (request ids, logging, security headers, body deadlines,
// CORS), key and admin authentication, the turn helpers and SSE writer every
// transport shares, health, metrics and the spec. errors.go is the one place
// where domain errors become RFC 9457 problems. The routes of each audience
// live in the groups api/tenant, api/compat and api/admin, mounted by New.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"
	"github.com/go-chi/chi/v5"

	"github.com/ccgateway/ccgateway/actors"
	adminweb "github.com/ccgateway/ccgateway/admin-web"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/idempotency"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// Security scheme names used in the spec and by the auth middleware.
const (
	schemeAPIKey    = "apiKey"
	schemeAPIKeyHdr = "apiKeyHeader"
	schemeAdmin     = "adminJWT"
)

// ReadyCheck is one named readiness probe for /readyz.
type ReadyCheck struct {
	Name  string
	Check func(ctx context.Context) error
}

// Deps are the parts the API needs. Config, Store, Actors, Tokens, Admins and Log
// are required: New does not check them, and a nil one panics on first use. The
// others are optional: no Ready checks make /readyz always ready, a nil Stopping
// leaves GET /admin/events streams to end with their clients, and the comments
// of Usage, Policies, Events and Telemetry say what their absence means.
type Deps struct {
	Config *Config
	Store  store.Store
	Actors *actors.System
	Tokens *auth.Issuer
	Admins *auth.Verifier
	Log    *slog.Logger
	Usage  UsageRecorder // optional: nil records nothing
	// Policies manages the policy chain; optional: without it /admin/policies
	// answers 503 (admission still runs whatever chain the actor system was given).
	Policies *policyset.Manager
	Events   EventFeed // optional: nil makes GET /admin/events answer 503
	// Telemetry, when set, counts, times and traces every request and serves
	// GET /metrics on this handler unless Config.MetricsListen moves it elsewhere.
	Telemetry *telemetry.Telemetry
	Ready     []ReadyCheck
	Version   string
	// Stopping, when closed, ends long-lived streams (GET /admin/events) so that a
	// graceful shutdown does not wait for them.
	Stopping <-chan struct{}
}

// Server holds the handlers' shared state.
type Server struct {
	Deps
	keys       *keyCache
	signatures *auth.SignatureVerifier
	failures   *auth.FailureLimiter
	// idem keeps the answers of creates sent with an Idempotency-Key (nil
	// without a store: the spec is built that way).
	idem *idempotency.Middleware
	// windows is the latest requests-per-minute window of each key (RateLimit fields).
	windows windowCache
	// unmatched is the Operation metadata of requests no route matches, by path
	// prefix (HandleUnmatched).
	unmatched map[string]map[string]any
}

// A Group registers the routes of one audience (tenant, compat, admin): its huma
// operations on api, and on r the plain routes huma does not model.
type Group func(s *Server, api huma.API, r chi.Router)

// New builds the HTTP handler: the chi router with the huma API mounted on it,
// the kernel's routes (health) and those of groups.
func New(d Deps, groups ...Group) (http.Handler, huma.API) {
	installErrorHooks()
	s := &Server{
		Deps: d, keys: newKeyCache(d.Store, 5*time.Second),
		signatures: auth.NewSignatureVerifier(auth.SigningConfig{Window: d.Config.SignatureWindow}),
		failures:   auth.NewFailureLimiter(auth.LimiterConfig{Burst: d.Config.AuthFailureBurst, Per: d.Config.AuthFailureWindow}),
	}
	if d.Store != nil {
		s.idem = idempotency.New(d.Store, idempotency.Config{}, d.Log, nil)
	}
	s.joinCluster()
	r := chi.NewRouter()
	if d.Telemetry != nil {
		r.Use(d.Telemetry.HTTPMiddleware)
	}
	r.Use(requestID, s.accessLog, recoverer(d.Log), securityHeaders, s.bodyDeadline, s.httpsPolicy, s.cors)
	r.NotFound(s.noRoute(r))
	r.MethodNotAllowed(s.noRoute(r))
	if d.Telemetry != nil && d.Config.MetricsListen == "" {
		r.Get(metricsPath, s.serveMetrics) // a plain chi route, left out of the OpenAPI spec
	}
	adminweb.New(adminweb.Files(), adminweb.Config{OIDCIssuer: d.Config.OIDCIssuer}).Mount(r) // /, /console/, /docs
	api := humachi.New(r, humaConfig(d.Version))
	api.UseMiddleware(s.authenticate(api), s.idempotent)
	registerHealth(api, s)
	for _, g := range groups {
		g(s, api, r)
	}
	documentResponseHeaders(api.OpenAPI())
	return r, api
}

// humaConfig is the OpenAPI document's frame: info, servers and security schemes.
func humaConfig(version string) huma.Config {
	cfg := huma.DefaultConfig("ccgateway", version)
	cfg.Info.Description = "Serves the Claude Code CLI as a multi-tenant HTTP API: chat over REST, SSE and WebSocket, API keys with limits, usage tracking and admin operations. " +
		"With force-https=redirect, a plain-HTTP GET or HEAD (other than the health probes) is answered 308 to its https:// address before any operation runs; other plain-HTTP requests get 403 https_required."
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		schemeAPIKey:    {Type: "http", Scheme: "bearer", Description: "An API key (sk-ccg-...) as a bearer token."},
		schemeAPIKeyHdr: {Type: "apiKey", In: "header", Name: "x-api-key", Description: "An API key (sk-ccg-...) in the x-api-key header."},
		schemeAdmin:     {Type: "http", Scheme: "bearer", BearerFormat: "JWT", Description: "An admin JWT from POST /admin/login or a configured identity provider."},
	}
	// The repository grants no open-source licence yet: until its owner picks one,
	// the document says so rather than inventing one.
	cfg.Info.License = &huma.License{Name: "Proprietary (no licence granted)", Identifier: "LicenseRef-Proprietary"}
	cfg.Info.Contact = &huma.Contact{Name: "ccgateway maintainers"}
	cfg.Servers = []*huma.Server{{URL: "http://127.0.0.1:8080", Description: "A gateway on its default listen address (CCGATEWAY_LISTEN)"}}
	cfg.Tags = specTags
	// Operations without a security requirement are public: say so (security: [])
	// rather than leave generators and linters to guess.
	cfg.OnAddOperation = append(cfg.OnAddOperation, func(_ *huma.OpenAPI, op *huma.Operation) {
		if op.Security == nil {
			op.Security = []map[string][]string{}
		}
	})
	cfg.Transformers = append(cfg.Transformers, decorateProblems)
	cfg.DocsPath = ""     // /docs is served by adminweb from embedded files, not a CDN
	cfg.CreateHooks = nil // no $schema links in responses: keep bodies as documented
	return cfg
}

// specTags describes the tags operations use, in the order docs show them.
var specTags = []*huma.Tag{
	{Name: "chat", Description: "Send messages to Claude and list the models on offer."},
	{Name: "conversations", Description: "Stored conversations: create, continue, list, read and delete."},
	{Name: "usage", Description: "The calling key's own usage and remaining quota."},
	{Name: "compatibility", Description: "OpenAI- and Anthropic-compatible endpoints for those clients' SDKs."},
	{Name: "admin", Description: "Admin login and node state."},
	{Name: "admin: keys", Description: "API keys: create, update, rotate, delete and their usage."},
	{Name: "admin: usage", Description: "Usage across keys and models, and the per-request log."},
	{Name: "admin: audit", Description: "Who changed what in the admin API."},
	{Name: "admin: policies", Description: "WASM rate-limit and permission policies: upload, test, activate, roll back."},
	{Name: "health", Description: "Liveness and readiness for load balancers and orchestrators."},
}

// addRoutes registers every operation; tests reuse it.
// KeySecurity is the security requirement of tenant operations.
var KeySecurity = []map[string][]string{{schemeAPIKey: {}}, {schemeAPIKeyHdr: {}}}

// AdminSecurity is the security requirement of admin operations.
var AdminSecurity = []map[string][]string{{schemeAdmin: {}}}
