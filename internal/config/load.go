package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/ccgateway/ccgateway/internal/models"
)

// setting is one configuration value: its flag name (also its key in the YAML file),
// the environment variable derived from it, a default and a setter.
type setting struct {
	name   string
	def    string
	usage  string
	secret bool
	set    func(c *Config, v string) error
}

// Env returns the setting's environment variable, e.g. CCGATEWAY_DATA_DIR.
func (s setting) env() string {
	return "CCGATEWAY_" + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

func str(f func(c *Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = v; return nil }
}

func dur(f func(c *Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("want a duration such as 30s, 5m or 90d, got %q", v)
		}
		*f(c) = d
		return nil
	}
}

// parseDuration is time.ParseDuration plus whole days ("90d").
func parseDuration(v string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("bad day count %q", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

func integer(f func(c *Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("want an integer, got %q", v)
		}
		*f(c) = n
		return nil
	}
}

// byteSize parses a size such as 1800MiB, 2GiB, 1.5GB or a plain byte count.
func byteSize(f func(c *Config) *int64) func(*Config, string) error {
	return func(c *Config, v string) error {
		n, err := parseByteSize(v)
		if err != nil {
			return fmt.Errorf("want a size such as 1800MiB, 2GiB or 0, got %q", v)
		}
		*f(c) = n
		return nil
	}
}

func parseByteSize(v string) (int64, error) {
	units := []struct {
		suffix string
		mul    float64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"B", 1}}
	mul, num := 1.0, strings.TrimSpace(v)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(num, u.suffix); ok {
			mul, num = u.mul, strings.TrimSpace(rest)
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return int64(f * mul), nil
}

func boolean(f func(c *Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false, got %q", v)
		}
		*f(c) = b
		return nil
	}
}

func list(f func(c *Config) *[]string) func(*Config, string) error {
	return func(c *Config, v string) error { *f(c) = splitList(v); return nil }
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// parseModels reads "id=alias1|alias2,id2" into models.
func parseModels(c *Config, v string) error {
	c.Models = nil
	for _, item := range splitList(v) {
		id, aliases, _ := strings.Cut(item, "=")
		m := Model{ID: strings.TrimSpace(id)}
		for _, a := range strings.Split(aliases, "|") {
			if a = strings.TrimSpace(a); a != "" {
				m.Aliases = append(m.Aliases, a)
			}
		}
		c.Models = append(c.Models, m)
	}
	return nil
}

func parsePrefixes(c *Config, v string) error {
	c.TrustedProxies = nil
	for _, p := range splitList(v) {
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("%q is neither a CIDR nor an IP address", p)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx)
	}
	return nil
}

// DefaultModels is the model list served when none is configured: the
// catalogue of internal/models.
var DefaultModels = models.Setting()

var settings = []setting{
	{name: "config", usage: "optional YAML config file (keys are these flag names)", set: str(func(c *Config) *string { return &c.ConfigFile })},
	{name: "listen", def: "127.0.0.1:8080", usage: "address to serve HTTP on", set: str(func(c *Config) *string { return &c.Listen })},
	{name: "idle-timeout", def: "90s", usage: "a keep-alive connection idle this long is closed", set: dur(func(c *Config) *time.Duration { return &c.IdleTimeout })},
	{name: "body-read-timeout", def: "60s", usage: "longest time to receive a request body; a slower client is cut off (streams and WebSockets are not limited once the body is read)", set: dur(func(c *Config) *time.Duration { return &c.BodyReadTimeout })},
	{name: "stream-write-timeout", def: "30s", usage: "longest time one write of an SSE stream or WebSocket may wait for a client that stops reading; then the stream ends", set: dur(func(c *Config) *time.Duration { return &c.StreamWriteTimeout })},
	{name: "max-conns-per-ip", def: "256", usage: "open connections one client address may hold (IPv6 per /64; trusted proxies exempt; 0 = no cap)", set: integer(func(c *Config) *int { return &c.MaxConnsPerIP })},
	{name: "data-dir", def: "./data", usage: "directory for the SQLite database, CLI workspaces and generated secrets", set: str(func(c *Config) *string { return &c.DataDir })},
	{name: "database-url", usage: "empty = SQLite in the data dir; postgres://user@host/db for PostgreSQL", secret: true, set: str(func(c *Config) *string { return &c.DatabaseURL })},
	{name: "node-name", usage: "this node's name in usage records (default: host name)", set: str(func(c *Config) *string { return &c.NodeName })},
	{name: "shutdown-timeout", def: "30s", usage: "how long in-flight turns may finish after SIGTERM", set: dur(func(c *Config) *time.Duration { return &c.ShutdownTimeout })},
	{name: "admin-password", usage: "creates or resets the local admin user 'admin' at start", secret: true, set: str(func(c *Config) *string { return &c.AdminPassword })},
	{name: "jwt-secret", usage: "HS256 secret for admin tokens (default: generated and kept in the data dir)", secret: true, set: str(func(c *Config) *string { return &c.JWTSecret })},
	{name: "admin-token-ttl", def: "12h", usage: "lifetime of admin tokens from POST /admin/login", set: dur(func(c *Config) *time.Duration { return &c.AdminTokenTTL })},
	{name: "claude-path", def: "claude", usage: "the Claude Code CLI binary (name on PATH or a path)", set: str(func(c *Config) *string { return &c.ClaudePath })},
	{name: "cli-max-retries", def: "2", usage: "CLAUDE_CODE_MAX_RETRIES for the CLI (0..15)", set: integer(func(c *Config) *int { return &c.CLIMaxRetries })},
	{name: "cli-api-timeout", def: "60s", usage: "API_TIMEOUT_MS for the CLI: wait for the API's response headers", set: dur(func(c *Config) *time.Duration { return &c.CLIAPITimeout })},
	{name: "cli-watchdog", def: "120s", usage: "stdout silence during a turn after which the CLI is interrupted, then killed", set: dur(func(c *Config) *time.Duration { return &c.CLIWatchdog })},
	{name: "turn-timeout", def: "10m", usage: "overall deadline of one chat turn", set: dur(func(c *Config) *time.Duration { return &c.TurnTimeout })},
	{name: "pass-env", usage: "extra environment variable names passed to the CLI (comma-separated)", set: list(func(c *Config) *[]string { return &c.PassEnv })},
	{name: "models", def: DefaultModels, usage: "offered models as id=alias|alias, comma-separated", set: parseModels},
	{name: "default-model", def: models.Default, usage: "model used when a request names none", set: str(func(c *Config) *string { return &c.DefaultModel })},
	{name: "max-message-bytes", def: "262144", usage: "largest accepted chat message, in bytes", set: integer(func(c *Config) *int { return &c.MaxMessageBytes })},
	{name: "sse-keepalive", def: "15s", usage: "interval of SSE keep-alive comments during silences", set: dur(func(c *Config) *time.Duration { return &c.SSEKeepAlive })},
	{name: "stream-hold", def: "2s", usage: "how long a stream waits for its first output before committing a 200, so early failures get a real HTTP error", set: dur(func(c *Config) *time.Duration { return &c.StreamHold })},
	{name: "max-processes", def: "10", usage: "cap on live Claude CLI processes on this node (busy, idle and prewarmed)", set: integer(func(c *Config) *int { return &c.MaxProcesses })},
	{name: "max-busy-turns", def: "0", usage: "cap on turns running at once on this node (0 = max-processes)", set: integer(func(c *Config) *int { return &c.MaxBusyTurns })},
	{name: "queue-size", def: "100", usage: "turns that may wait for a CLI process on this node; beyond it 503 queue_full", set: integer(func(c *Config) *int { return &c.QueueSize })},
	{name: "queue-per-key", def: "0", usage: "turns one API key may have waiting on this node (0 = queue-size); a full queue always makes room for a key below its fair share", set: integer(func(c *Config) *int { return &c.QueuePerKey })},
	{name: "key-default-concurrency", def: "0", usage: "requests in flight allowed to an API key without a concurrency limit of its own; beyond it 429 concurrency_limit at once (0 = 2 × max-processes, -1 = no cap)", set: integer(func(c *Config) *int { return &c.KeyDefaultConcurrency })},
	{name: "queue-timeout", def: "30s", usage: "longest wait for a CLI process; beyond it 503 queue_timeout", set: dur(func(c *Config) *time.Duration { return &c.QueueTimeout })},
	{name: "prewarm", def: "1", usage: "spare CLI processes kept ready for new conversations (for the spawn signatures in demand; the default model until demand is seen)", set: integer(func(c *Config) *int { return &c.Prewarm })},
	{name: "prewarm-min-idle", def: "30s", usage: "with the process cap full, a spare takes the slot of the least recently used conversation process idle at least this long (0 = spares use free slots only)", set: dur(func(c *Config) *time.Duration { return &c.PrewarmMinIdle })},
	{name: "cli-memory-budget", def: "0", usage: "cap on the total RSS of this node's CLI processes, e.g. 1800MiB; idle processes are ended to keep within it (0 = none)", set: byteSize(func(c *Config) *int64 { return &c.CLIMemoryBudget })},
	{name: "idle-ttl", def: "5m", usage: "an idle conversation's CLI process is ended after this long (it resumes on the next turn)", set: dur(func(c *Config) *time.Duration { return &c.IdleTTL })},
	{name: "conversation-queue", def: "8", usage: "turns that may wait behind a running turn of the same conversation", set: integer(func(c *Config) *int { return &c.ConversationQueue })},
	{name: "conversation-retention", def: "0", usage: "conversations idle longer than this are deleted (0 = keep forever)", set: dur(func(c *Config) *time.Duration { return &c.ConversationRetention })},
	{name: "lease-ttl", def: "30s", usage: "a conversation's lease (fencing: one node runs its CLI) lapses this long after its last renewal", set: dur(func(c *Config) *time.Duration { return &c.LeaseTTL })},
	{name: "lease-renew", def: "10s", usage: "how often a node renews the leases of the conversations it runs (less than lease-ttl)", set: dur(func(c *Config) *time.Duration { return &c.LeaseRenew })},
	{name: "cluster-bind", def: "127.0.0.1:0", usage: "host:port of the actor system's remote endpoint (port 0 = any free port)", set: str(func(c *Config) *string { return &c.ClusterBind })},
	{name: "cluster-gossip", usage: "host:port this node gossips on (memberlist, UDP and TCP); empty runs a single node; needs PostgreSQL", set: str(func(c *Config) *string { return &c.ClusterGossip })},
	{name: "cluster-join", usage: "host:port of cluster nodes to join, comma-separated; retried with backoff until one answers", set: list(func(c *Config) *[]string { return &c.ClusterJoin })},
	{name: "cluster-name", def: "ccgateway", usage: "the cluster's name: nodes of another name are refused", set: str(func(c *Config) *string { return &c.ClusterName })},
	{name: "cluster-advertise", usage: "host (or host:gossip-port) other nodes reach this node at, when not the bound address (NAT, containers)", set: str(func(c *Config) *string { return &c.ClusterAdvertise })},
	{name: "cluster-secret", usage: "shared secret that encrypts gossip (at least 16 characters; the same on every node)", secret: true, set: str(func(c *Config) *string { return &c.ClusterSecret })},
	{name: "cluster-probe-interval", def: "400ms", usage: "failure detection: how often each node probes another (a crash is seen after about 5 intervals)", set: dur(func(c *Config) *time.Duration { return &c.ClusterProbeInterval })},
	{name: "cluster-probe-timeout", def: "200ms", usage: "failure detection: how long a probe waits for its ack (less than cluster-probe-interval)", set: dur(func(c *Config) *time.Duration { return &c.ClusterProbeTimeout })},
	{name: "cluster-suspicion-mult", def: "4", usage: "failure detection: a suspect is declared dead after this many probe intervals (times log10 of the cluster size)", set: integer(func(c *Config) *int { return &c.ClusterSuspicionMult })},
	{name: "trusted-proxies", usage: "CIDRs of proxies whose X-Forwarded-For/-Proto are honoured", set: parsePrefixes},
	{name: "cors-origins", usage: "origins allowed by CORS (none by default; * allows any)", set: list(func(c *Config) *[]string { return &c.CORSOrigins })},
	{name: "tls-cert-file", usage: "PEM certificate: serve HTTPS (with tls-key-file)", set: str(func(c *Config) *string { return &c.TLSCertFile })},
	{name: "tls-key-file", usage: "PEM private key of tls-cert-file", set: str(func(c *Config) *string { return &c.TLSKeyFile })},
	{name: "force-https", def: "off", usage: "plain-HTTP requests: off, redirect (308 to https) or refuse (403); a trusted proxy's X-Forwarded-Proto counts", set: str(func(c *Config) *string { return &c.ForceHTTPS })},
	{name: "hsts-max-age", def: "180d", usage: "Strict-Transport-Security max-age sent on HTTPS responses (0 = no header)", set: dur(func(c *Config) *time.Duration { return &c.HSTSMaxAge })},
	{name: "auth-failure-burst", def: "10", usage: "failed authentications allowed per client IP per auth-failure-window before 429", set: integer(func(c *Config) *int { return &c.AuthFailureBurst })},
	{name: "auth-failure-window", def: "1m", usage: "window in which auth-failure-burst failures are allowed (refilled continuously)", set: dur(func(c *Config) *time.Duration { return &c.AuthFailureWindow })},
	{name: "signature-window", def: "5m", usage: "how far a signed request's timestamp may be from now", set: dur(func(c *Config) *time.Duration { return &c.SignatureWindow })},
	{name: "shared-jwt-secret", usage: "accept admin JWTs (HS256) signed with this secret by an existing system", secret: true, set: str(func(c *Config) *string { return &c.SharedJWTSecret })},
	{name: "shared-jwt-issuer", usage: "required iss of shared-secret admin JWTs", set: str(func(c *Config) *string { return &c.SharedJWTIssuer })},
	{name: "shared-jwt-audience", usage: "required aud of shared-secret admin JWTs", set: str(func(c *Config) *string { return &c.SharedJWTAudience })},
	{name: "shared-jwt-role-claim", usage: "dotted path of the role claim in shared-secret admin JWTs (empty = role)", set: str(func(c *Config) *string { return &c.SharedJWTRoleClaim })},
	{name: "shared-jwt-admin-value", usage: "role claim value that grants admin in shared-secret JWTs (empty = admin)", set: str(func(c *Config) *string { return &c.SharedJWTAdminValue })},
	{name: "oidc-issuer", usage: "OIDC issuer URL (Auth0, Keycloak, Firebase...): admin JWTs verified against its JWKS", set: str(func(c *Config) *string { return &c.OIDCIssuer })},
	{name: "oidc-jwks-url", usage: "JWKS URL (default: discovered from oidc-issuer)", set: str(func(c *Config) *string { return &c.OIDCJWKSURL })},
	{name: "oidc-audience", usage: "required aud of OIDC admin JWTs", set: str(func(c *Config) *string { return &c.OIDCAudience })},
	{name: "oidc-role-claim", usage: "dotted path of the role claim in OIDC admin JWTs, e.g. realm_access.roles (empty = role)", set: str(func(c *Config) *string { return &c.OIDCRoleClaim })},
	{name: "oidc-admin-value", usage: "role claim value that grants admin in OIDC JWTs (empty = admin)", set: str(func(c *Config) *string { return &c.OIDCAdminValue })},
	{name: "oidc-client-id", usage: "OIDC client id of the admin console (public client, authorization code + PKCE; redirect URI <gateway>/console/sso): shows \"Sign in with SSO\"", set: str(func(c *Config) *string { return &c.OIDCClientID })},
	{name: "oidc-scopes", def: "openid,profile,email", usage: "scopes the admin console asks the OIDC provider for", set: list(func(c *Config) *[]string { return &c.OIDCScopes })},
	{name: "usage-batch-size", def: "500", usage: "usage events written per database insert", set: integer(func(c *Config) *int { return &c.UsageBatchSize })},
	{name: "usage-flush-interval", def: "1s", usage: "longest time a usage event waits before it is written", set: dur(func(c *Config) *time.Duration { return &c.UsageFlushInterval })},
	{name: "usage-buffer-size", def: "50000", usage: "usage events held in memory while the database is slow or down; beyond it new events are dropped and logged", set: integer(func(c *Config) *int { return &c.UsageBufferSize })},
	{name: "usage-retention", def: "90d", usage: "age after which usage events (the request log) are purged (0 = keep)", set: dur(func(c *Config) *time.Duration { return &c.UsageRetention })},
	{name: "audit-retention", def: "365d", usage: "age after which audit log entries are purged (0 = keep)", set: dur(func(c *Config) *time.Duration { return &c.AuditRetention })},
	{name: "retention-interval", def: "1h", usage: "time between retention sweeps", set: dur(func(c *Config) *time.Duration { return &c.RetentionInterval })},
	{name: "policy-call-timeout", def: "50ms", usage: "deadline of one WASM policy call; a policy past it fails (its failure mode decides)", set: dur(func(c *Config) *time.Duration { return &c.PolicyCallTimeout })},
	{name: "policy-memory-mb", def: "64", usage: "memory cap of each WASM policy instance, in MiB", set: integer(func(c *Config) *int { return &c.PolicyMemoryMB })},
	{name: "policy-max-tokens-mode", def: "refuse", usage: "bundled permissions policy: refuse (403) or clamp a max_tokens above the key's cap", set: str(func(c *Config) *string { return &c.PolicyMaxTokensMode })},
	{name: "log-level", def: "info", usage: "debug, info, warn or error", set: str(func(c *Config) *string { return &c.LogLevel })},
	{name: "metrics-listen", usage: "host:port serving GET /metrics without authentication (empty = /metrics on the main listener, for loopback clients and admin tokens only)", set: str(func(c *Config) *string { return &c.MetricsListen })},
	{name: "log-messages", def: "false", usage: "log chat message text (off by default)", set: boolean(func(c *Config) *bool { return &c.LogMessages })},
}

// Defaults returns the configuration with every built-in default and nothing else.
func Defaults() *Config {
	c := &Config{}
	for _, s := range settings {
		if s.def != "" {
			if err := s.set(c, s.def); err != nil {
				panic("config: bad default of " + s.name + ": " + err.Error())
			}
		}
	}
	return c
}

// Load builds the Config for the command name (e.g. "ccgateway serve") from defaults, the config file, the environment (env is a
// list of KEY=VALUE like os.Environ) and args. It validates the result. A -h/--help in
// args returns flag.ErrHelp after printing the usage to out.
// extra, when not nil, registers a subcommand's own flags on the same flag set.
func Load(name string, args, env []string, out io.Writer, extra func(fs *flag.FlagSet)) (*Config, error) {
	c := Defaults()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	flagVals := map[string]*string{}
	for _, s := range settings {
		flagVals[s.name] = fs.String(s.name, "", describe(s))
	}
	if extra != nil {
		extra(fs)
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: %s [flags]\n\nEvery flag can also be set by its environment variable or as a key in the --config YAML file.\nPrecedence: flag > environment > file > default.\n\n", fs.Name())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("config: unexpected arguments %q", fs.Args())
	}
	explicit := map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		if v, ok := flagVals[f.Name]; ok { // a subcommand's own flags are not settings
			explicit[f.Name] = *v
		}
	})
	envMap := envToMap(env)

	file := explicit["config"]
	if file == "" {
		file = envMap["CCGATEWAY_CONFIG"]
	}
	fileVals, err := readFile(file)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, s := range settings {
		v, ok := fileVals[s.name]
		if ev, eok, err := fromEnv(s, envMap); err != nil {
			errs = append(errs, err)
		} else if eok {
			v, ok = ev, true
		}
		if fv, fok := explicit[s.name]; fok {
			v, ok = fv, true
		}
		if !ok {
			continue
		}
		if err := s.set(c, v); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	if c.NodeName == "" {
		c.NodeName, _ = os.Hostname()
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

func describe(s setting) string {
	u := s.usage + " (env " + s.env()
	if s.secret {
		u += ", or " + s.env() + "_FILE"
	}
	u += ")"
	if s.def != "" {
		u += " (default " + strconv.Quote(s.def) + ")"
	}
	return u
}

func envToMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// fromEnv reads a setting from the environment, including the _FILE variant of secrets.
func fromEnv(s setting, env map[string]string) (string, bool, error) {
	if v, ok := env[s.env()]; ok && v != "" {
		return v, true, nil
	}
	if !s.secret {
		return "", false, nil
	}
	path, ok := env[s.env()+"_FILE"]
	if !ok || path == "" {
		return "", false, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false, fmt.Errorf("%s_FILE: %w", s.env(), err)
	}
	return strings.TrimRight(string(b), "\r\n"), true, nil
}

// readFile reads the YAML config file into flag-name keyed strings.
func readFile(path string) (map[string]string, error) {
	out := map[string]string{}
	if path == "" {
		return out, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	raw := map[string]any{}
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, s := range settings {
		known[s.name] = true
	}
	var unknown []string
	for k, v := range raw {
		if !known[k] {
			unknown = append(unknown, k)
			continue
		}
		switch v := v.(type) {
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			out[k] = strings.Join(parts, ",")
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("config: %s: unknown keys %s", path, strings.Join(unknown, ", "))
	}
	return out, nil
}
