// Package config loads ccgateway's configuration once, in cmd, from (lowest to
// highest precedence) built-in defaults, an optional YAML file, CCGATEWAY_* environment
// variables and command-line flags. Secrets may also come from files through the
// CCGATEWAY_<NAME>_FILE variant. There is no global configuration: the loaded Config is
// passed down to each package as that package's own settings.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/internal/models"
)

// Model is a model the gateway offers, with the aliases that resolve to it.
type Model = models.Model

// Config is the whole gateway configuration.
type Config struct {
	ConfigFile string

	Listen          string
	DataDir         string
	DatabaseURL     string
	NodeName        string
	ShutdownTimeout time.Duration

	AdminPassword string
	JWTSecret     string
	AdminTokenTTL time.Duration

	ClaudePath      string
	CLIMaxRetries   int
	CLIAPITimeout   time.Duration
	CLIWatchdog     time.Duration
	TurnTimeout     time.Duration
	PassEnv         []string
	Models          models.List
	DefaultModel    string
	MaxMessageBytes int
	SSEKeepAlive    time.Duration
	StreamHold      time.Duration

	// Conversations and the CLI process scheduler.
	MaxProcesses          int
	MaxBusyTurns          int
	QueueSize             int
	QueuePerKey           int
	QueueTimeout          time.Duration
	KeyDefaultConcurrency int // a key without its own limit: 0 = 2 × MaxProcesses, -1 = no cap (KeyConcurrency)
	Prewarm               int
	PrewarmMinIdle        time.Duration
	CLIMemoryBudget       int64 // bytes; 0 = none
	IdleTTL               time.Duration
	ConversationQueue     int
	ConversationRetention time.Duration
	LeaseTTL              time.Duration
	LeaseRenew            time.Duration
	ClusterBind           string
	ClusterGossip         string
	ClusterJoin           []string
	ClusterName           string
	ClusterAdvertise      string
	ClusterSecret         string
	ClusterProbeInterval  time.Duration
	ClusterProbeTimeout   time.Duration
	ClusterSuspicionMult  int

	// SharedJWT* accept admin tokens from an existing system's HS256 secret.
	SharedJWTSecret     string
	SharedJWTIssuer     string
	SharedJWTAudience   string
	SharedJWTRoleClaim  string
	SharedJWTAdminValue string
	// OIDC* accept admin tokens from an OpenID Connect provider's JWKS.
	OIDCIssuer     string
	OIDCJWKSURL    string
	OIDCAudience   string
	OIDCRoleClaim  string
	OIDCAdminValue string
	// OIDCClientID and OIDCScopes let the admin console sign in with the provider
	// (authorization code + PKCE, a public client): the console sends the ID token,
	// so OIDCAudience is usually the same client id.
	OIDCClientID string
	OIDCScopes   []string

	TrustedProxies    []netip.Prefix
	CORSOrigins       []string
	TLSCertFile       string
	TLSKeyFile        string
	ForceHTTPS        string // off, redirect or refuse
	HSTSMaxAge        time.Duration
	AuthFailureBurst  int
	AuthFailureWindow time.Duration
	SignatureWindow   time.Duration
	// IdleTimeout, BodyReadTimeout and MaxConnsPerIP bound connections (see
	// docs/security.md): idle keep-alives, slow bodies, one client's share.
	IdleTimeout     time.Duration
	BodyReadTimeout time.Duration
	MaxConnsPerIP   int
	// StreamWriteTimeout bounds each write of an SSE stream or WebSocket
	// message: a client that stops reading is cut off.
	StreamWriteTimeout time.Duration

	UsageBatchSize     int
	UsageFlushInterval time.Duration
	UsageBufferSize    int
	UsageRetention     time.Duration
	AuditRetention     time.Duration
	RetentionInterval  time.Duration

	// Policies: the deadline of one guest call, each instance's memory cap and
	// what the bundled permissions policy does with max_tokens over a key's cap.
	PolicyCallTimeout   time.Duration
	PolicyMemoryMB      int
	PolicyMaxTokensMode string // refuse or clamp

	LogLevel    string
	LogMessages bool
	// MetricsListen, when set, serves GET /metrics (unauthenticated) on its own
	// address; empty serves it on the main listener to loopback clients and admins.
	MetricsListen string
}

// ResolveModel maps an alias to its model id; an id or an unknown name comes back as is.
func (c *Config) ResolveModel(name string) string { return c.Models.Resolve(name) }

// KeyConcurrency is the per-key cap that key-default-concurrency puts in force:
// twice max-processes for 0 (the turns that can run on a node plus as many
// waiting), -1 for no cap, else the setting.
func (c *Config) KeyConcurrency() int {
	if c.KeyDefaultConcurrency == 0 {
		return 2 * c.MaxProcesses
	}
	return c.KeyDefaultConcurrency
}

// KnownModel reports whether name is a configured model id or alias.
func (c *Config) KnownModel(name string) bool { return c.Models.Known(name) }

// Validate checks the loaded values and every cross-field rule, and reports all
// problems at once, each naming its setting.
func (c *Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "want host:port, got %q", c.Listen)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			bad("metrics-listen", "want empty or host:port, got %q", c.MetricsListen)
		} else if c.MetricsListen == c.Listen {
			bad("metrics-listen", "must differ from listen (leave it empty to serve /metrics on the main listener)")
		}
	}
	if c.DataDir == "" {
		bad("data-dir", "must not be empty")
	}
	if u := c.DatabaseURL; u != "" && !strings.HasPrefix(u, "postgres://") && !strings.HasPrefix(u, "postgresql://") &&
		!strings.HasPrefix(u, "sqlite://") && !strings.HasPrefix(u, "file:") {
		bad("database-url", "want empty (SQLite in the data dir), sqlite://PATH or postgres://..., got scheme of %q", redactURL(u))
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		bad("admin-password", "must be at least 8 characters")
	}
	if c.JWTSecret != "" && len(c.JWTSecret) < 32 {
		bad("jwt-secret", "must be at least 32 bytes (leave empty to generate one in the data dir)")
	}
	positive := map[string]time.Duration{
		"shutdown-timeout": c.ShutdownTimeout, "admin-token-ttl": c.AdminTokenTTL,
		"cli-api-timeout": c.CLIAPITimeout, "cli-watchdog": c.CLIWatchdog,
		"turn-timeout": c.TurnTimeout, "sse-keepalive": c.SSEKeepAlive,
	}
	for name, d := range positive {
		if d <= 0 {
			bad(name, "must be a positive duration, got %s", d)
		}
	}
	if c.StreamHold < 0 {
		bad("stream-hold", "must not be negative")
	}
	if c.MaxProcesses < 1 {
		bad("max-processes", "must be at least 1, got %d", c.MaxProcesses)
	}
	if c.PolicyCallTimeout <= 0 || c.PolicyCallTimeout > 10*time.Second {
		bad("policy-call-timeout", "must be a positive duration up to 10s, got %s", c.PolicyCallTimeout)
	}
	if c.PolicyMemoryMB < 1 || c.PolicyMemoryMB > 4096 {
		bad("policy-memory-mb", "must be 1..4096, got %d", c.PolicyMemoryMB)
	}
	if c.PolicyMaxTokensMode != "refuse" && c.PolicyMaxTokensMode != "clamp" {
		bad("policy-max-tokens-mode", "must be refuse or clamp, got %q", c.PolicyMaxTokensMode)
	}
	if c.MaxBusyTurns < 0 || c.MaxBusyTurns > c.MaxProcesses {
		bad("max-busy-turns", "must be 0..max-processes, got %d", c.MaxBusyTurns)
	}
	if c.MaxConnsPerIP < 0 {
		bad("max-conns-per-ip", "must not be negative")
	}
	if c.QueuePerKey < 0 {
		bad("queue-per-key", "must not be negative")
	}
	if c.KeyDefaultConcurrency < -1 {
		bad("key-default-concurrency", "want -1 (no cap), 0 (2 × max-processes) or a positive count, got %d", c.KeyDefaultConcurrency)
	}
	if c.QueueSize < 0 || c.ConversationQueue < 0 {
		bad("queue-size", "queue sizes must not be negative")
	}
	if c.PrewarmMinIdle < 0 {
		bad("prewarm-min-idle", "must not be negative")
	}
	if c.CLIMemoryBudget != 0 && c.CLIMemoryBudget < 256<<20 {
		bad("cli-memory-budget", "must be 0 or at least 256MiB (one CLI process takes ~200 MB), got %d bytes", c.CLIMemoryBudget)
	}
	if c.Prewarm < 0 || c.Prewarm > c.MaxProcesses {
		bad("prewarm", "must be 0..max-processes, got %d", c.Prewarm)
	}
	for name, d := range map[string]time.Duration{"queue-timeout": c.QueueTimeout, "idle-ttl": c.IdleTTL} {
		if d <= 0 {
			bad(name, "must be a positive duration, got %s", d)
		}
	}
	if c.LeaseTTL <= 0 || c.LeaseRenew <= 0 || c.LeaseRenew >= c.LeaseTTL {
		bad("lease-renew", "must be positive and less than lease-ttl (%s), got %s", c.LeaseTTL, c.LeaseRenew)
	}
	if c.ConversationRetention < 0 {
		bad("conversation-retention", "must not be negative (0 keeps conversations forever)")
	}
	if _, _, err := net.SplitHostPort(c.ClusterBind); err != nil {
		bad("cluster-bind", "want host:port, got %q", c.ClusterBind)
	}
	errs = append(errs, c.validateCluster()...)
	if c.CLIMaxRetries < 0 || c.CLIMaxRetries > 15 {
		bad("cli-max-retries", "must be 0..15, got %d", c.CLIMaxRetries)
	}
	if c.MaxMessageBytes < 1 {
		bad("max-message-bytes", "must be positive")
	}
	if len(c.Models) == 0 {
		bad("models", "at least one model is needed")
	}
	if !c.KnownModel(c.DefaultModel) {
		bad("default-model", "%q is not one of the configured models or aliases", c.DefaultModel)
	}
	for _, name := range c.PassEnv {
		if strings.HasPrefix(strings.ToUpper(name), "CCGATEWAY_") {
			bad("pass-env", "%s: the gateway's own variables never reach the CLI", name)
		}
	}
	errs = append(errs, c.validateSecurity()...)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	return errors.Join(errs...)
}

// redactURL drops credentials from a database URL so it can appear in messages.
func redactURL(u string) string {
	if i := strings.Index(u, "@"); i >= 0 {
		if j := strings.Index(u, "://"); j >= 0 && j < i {
			return u[:j+3] + "***" + u[i:]
		}
	}
	return u
}

// ForceHTTPS modes.
const (
	ForceHTTPSOff      = "off"
	ForceHTTPSRedirect = "redirect"
	ForceHTTPSRefuse   = "refuse"
)

// validateSecurity checks the admin identity, TLS, request security and
// retention settings.
func (c *Config) validateSecurity() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.SharedJWTSecret != "" && len(c.SharedJWTSecret) < 32 {
		bad("shared-jwt-secret", "must be at least 32 bytes")
	}
	if c.SharedJWTSecret == "" && (c.SharedJWTIssuer != "" || c.SharedJWTAudience != "") {
		bad("shared-jwt-secret", "is required when shared-jwt-issuer or shared-jwt-audience is set")
	}
	oidc := c.OIDCIssuer != "" || c.OIDCJWKSURL != ""
	if oidc && c.OIDCAudience == "" {
		bad("oidc-audience", "is required with oidc-issuer or oidc-jwks-url (else any token of the provider would do)")
	}
	if c.OIDCClientID != "" && c.OIDCIssuer == "" {
		bad("oidc-client-id", "needs oidc-issuer (the console discovers the provider's endpoints from it)")
	}
	if !oidc && c.OIDCAudience != "" {
		bad("oidc-issuer", "oidc-issuer or oidc-jwks-url is required when oidc-audience is set")
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		bad("tls-cert-file", "tls-cert-file and tls-key-file go together")
	}
	switch c.ForceHTTPS {
	case ForceHTTPSOff, ForceHTTPSRedirect, ForceHTTPSRefuse:
	default:
		bad("force-https", "want off, redirect or refuse, got %q", c.ForceHTTPS)
	}
	if c.HSTSMaxAge < 0 {
		bad("hsts-max-age", "must not be negative")
	}
	if c.AuthFailureBurst < 1 {
		bad("auth-failure-burst", "must be at least 1")
	}
	if c.UsageBatchSize < 1 || c.UsageBufferSize < c.UsageBatchSize {
		bad("usage-batch-size", "must be at least 1 and at most usage-buffer-size (%d)", c.UsageBufferSize)
	}
	for name, d := range map[string]time.Duration{
		"auth-failure-window": c.AuthFailureWindow, "signature-window": c.SignatureWindow,
		"idle-timeout": c.IdleTimeout, "body-read-timeout": c.BodyReadTimeout, "stream-write-timeout": c.StreamWriteTimeout,
		"usage-flush-interval": c.UsageFlushInterval, "retention-interval": c.RetentionInterval,
	} {
		if d <= 0 {
			bad(name, "must be a positive duration, got %s", d)
		}
	}
	if c.SignatureWindow > time.Hour {
		bad("signature-window", "must be at most 1h")
	}
	if c.UsageRetention < 0 || c.AuditRetention < 0 {
		bad("usage-retention", "retention ages must not be negative (0 keeps records forever)")
	}
	return errs
}

// validateCluster checks the cluster settings. A cluster shares its store, so it
// needs PostgreSQL: SQLite is a file of one node.
func (c *Config) validateCluster() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.ClusterName == "" {
		bad("cluster-name", "must not be empty")
	}
	if c.ClusterGossip == "" {
		for name, v := range map[string]bool{"cluster-join": len(c.ClusterJoin) > 0, "cluster-advertise": c.ClusterAdvertise != "", "cluster-secret": c.ClusterSecret != ""} {
			if v {
				bad(name, "needs cluster-gossip (this node's gossip address)")
			}
		}
		return errs
	}
	if _, _, err := net.SplitHostPort(c.ClusterGossip); err != nil {
		bad("cluster-gossip", "want host:port, got %q", c.ClusterGossip)
	}
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("cluster-gossip", "a cluster needs PostgreSQL: set database-url to postgres://... (SQLite is one node's file)")
	}
	for _, j := range c.ClusterJoin {
		if _, _, err := net.SplitHostPort(j); err != nil {
			bad("cluster-join", "want host:port, got %q", j)
		}
	}
	if c.ClusterSecret != "" && len(c.ClusterSecret) < 16 {
		bad("cluster-secret", "must be at least 16 characters")
	}
	if c.ClusterProbeTimeout <= 0 || c.ClusterProbeInterval <= c.ClusterProbeTimeout {
		bad("cluster-probe-timeout", "must be positive and less than cluster-probe-interval (%s), got %s", c.ClusterProbeInterval, c.ClusterProbeTimeout)
	}
	if c.ClusterSuspicionMult < 1 {
		bad("cluster-suspicion-mult", "must be at least 1, got %d", c.ClusterSuspicionMult)
	}
	return errs
}
