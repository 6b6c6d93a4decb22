package api

import (
	"net/netip"
	"time"

	"github.com/ccgateway/ccgateway/internal/models"
)

// Config is what the HTTP layer reads of the node's settings; internal/gateway
// maps the loaded configuration to it. docs/configuration.md describes each.
type Config struct {
	NodeName string
	// Models are the models offered; DefaultModel runs a request that names none.
	Models          models.List
	DefaultModel    string
	MaxMessageBytes int
	// LogMessages logs each chat message's text (off by default: tenant text
	// stays out of logs).
	LogMessages bool

	SSEKeepAlive    time.Duration
	StreamHold      time.Duration
	BodyReadTimeout time.Duration
	// StreamWriteTimeout bounds each write of an SSE stream or WebSocket: a
	// client that stops reading is cut off (0 = no bound).
	StreamWriteTimeout time.Duration

	TrustedProxies    []netip.Prefix
	CORSOrigins       []string
	ForceHTTPS        string // ForceHTTPSOff, ForceHTTPSRedirect or refuse
	HSTSMaxAge        time.Duration
	AuthFailureBurst  int
	AuthFailureWindow time.Duration
	SignatureWindow   time.Duration
	AdminTokenTTL     time.Duration
	// The OIDC provider the console signs in with (its issuer, client and scopes).
	OIDCIssuer   string
	OIDCClientID string
	OIDCScopes   []string
	// MetricsListen, when set, moves GET /metrics off this handler.
	MetricsListen string
}

// ForceHTTPS modes (the force-https setting).
const (
	ForceHTTPSOff      = "off"
	ForceHTTPSRedirect = "redirect"
)

// ResolveModel maps an alias to its model id; an id or an unknown name comes back as is.
func (c *Config) ResolveModel(name string) string { return c.Models.Resolve(name) }

// KnownModel reports whether name is an offered model id or alias.
func (c *Config) KnownModel(name string) bool { return c.Models.Known(name) }
