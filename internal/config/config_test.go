package config

import (
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("listen: 127.0.0.1:9001\ndata-dir: /from/file\nturn-timeout: 1m\nmodels: [a=x, b]\ndefault-model: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "pw")
	if err := os.WriteFile(secret, []byte("from-a-file-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"CCGATEWAY_CONFIG=" + file,
		"CCGATEWAY_DATA_DIR=/from/env",
		"CCGATEWAY_TURN_TIMEOUT=2m",
		"CCGATEWAY_ADMIN_PASSWORD_FILE=" + secret,
	}
	c, err := Load("test", []string{"--turn-timeout", "3m"}, env, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"file over default", c.Listen, "127.0.0.1:9001"},
		{"env over file", c.DataDir, "/from/env"},
		{"flag over env", c.TurnTimeout, 3 * time.Minute},
		{"secret from _FILE", c.AdminPassword, "from-a-file-secret"},
		{"default kept", c.SSEKeepAlive, 15 * time.Second},
		{"retention in days", c.UsageRetention, 90 * 24 * time.Hour},
		{"audit retention in days", c.AuditRetention, 365 * 24 * time.Hour},
		{"force-https off by default", c.ForceHTTPS, ForceHTTPSOff},
		{"models from a YAML list", len(c.Models), 2},
		{"alias resolves", c.ResolveModel("x"), "a"},
		{"unknown model passes through", c.ResolveModel("zzz"), "zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"bad duration", []string{"--turn-timeout", "soon"}, nil, []string{"turn-timeout", "duration"}},
		{"bad listen", nil, []string{"CCGATEWAY_LISTEN=nope"}, []string{"listen"}},
		{"bad metrics-listen", []string{"--metrics-listen", "9090"}, nil, []string{"metrics-listen"}},
		{"metrics-listen on the main listener", []string{"--metrics-listen", "127.0.0.1:8080"}, nil, []string{"metrics-listen", "differ"}},
		{"short password", nil, []string{"CCGATEWAY_ADMIN_PASSWORD=short"}, []string{"admin-password"}},
		{"unknown default model", []string{"--default-model", "gpt"}, nil, []string{"default-model", "gpt"}},
		{"gateway var to CLI", []string{"--pass-env", "CCGATEWAY_JWT_SECRET"}, nil, []string{"pass-env"}},
		{"bad database scheme", []string{"--database-url", "mysql://u:pw@h/db"}, nil, []string{"database-url", "***"}},
		{"several at once", []string{"--cli-max-retries", "99", "--log-level", "loud"}, nil, []string{"cli-max-retries", "log-level"}},
		{"oidc without audience", []string{"--oidc-issuer", "https://idp.example.com/"}, nil, []string{"oidc-audience"}},
		{"oidc client id without issuer", []string{"--oidc-client-id", "console", "--oidc-jwks-url", "https://idp.example.com/jwks", "--oidc-audience", "console"}, nil, []string{"oidc-client-id"}},
		{"short shared secret", nil, []string{"CCGATEWAY_SHARED_JWT_SECRET=short"}, []string{"shared-jwt-secret"}},
		{"cert without key", []string{"--tls-cert-file", "c.pem"}, nil, []string{"tls-cert-file"}},
		{"bad force-https", []string{"--force-https", "always"}, nil, []string{"force-https"}},
		{"bad retention", []string{"--usage-retention", "ninety"}, nil, []string{"usage-retention", "90d"}},
		{"cluster on SQLite", []string{"--cluster-gossip", "127.0.0.1:7946"}, nil, []string{"cluster-gossip", "PostgreSQL"}},
		{"join without gossip", []string{"--cluster-join", "10.0.0.2:7946"}, nil, []string{"cluster-join", "cluster-gossip"}},
		{"short cluster secret", []string{"--cluster-gossip", "127.0.0.1:7946", "--database-url", "postgres://h/db"},
			[]string{"CCGATEWAY_CLUSTER_SECRET=short"}, []string{"cluster-secret"}},
		{"probe timeout over interval", []string{"--cluster-gossip", "127.0.0.1:7946", "--database-url", "postgres://h/db",
			"--cluster-probe-timeout", "2s"}, nil, []string{"cluster-probe-timeout"}},
		{"bad memory budget", []string{"--cli-memory-budget", "lots"}, nil, []string{"cli-memory-budget", "MiB"}},
		{"memory budget below one process", nil, []string{"CCGATEWAY_CLI_MEMORY_BUDGET=100MiB"}, []string{"cli-memory-budget", "256MiB"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("test", tt.args, tt.env, io.Discard, nil)
			if err == nil {
				t.Fatal("want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), ":pw@") {
				t.Errorf("error leaks a database password: %q", err)
			}
		})
	}
}

func TestUnknownFileKeyIsRefused(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("listne: 1.2.3.4:5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load("test", []string{"--config", file}, nil, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "listne") {
		t.Fatalf("want an error naming the unknown key, got %v", err)
	}
}

func TestHelpListsEverySetting(t *testing.T) {
	var out strings.Builder
	_, err := Load("ccgateway serve", []string{"--help"}, nil, &out, nil)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("want flag.ErrHelp, got %v", err)
	}
	for _, s := range settings {
		if !strings.Contains(out.String(), "-"+s.name) || !strings.Contains(out.String(), s.env()) {
			t.Errorf("help does not list %s / %s", s.name, s.env())
		}
	}
}

func TestSubcommandFlagsBesideSettings(t *testing.T) {
	var name string
	c, err := Load("test", []string{"--name", "alice", "--data-dir", "/x"}, nil, io.Discard, func(fs *flag.FlagSet) {
		fs.StringVar(&name, "name", "", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	if name != "alice" || c.DataDir != "/x" {
		t.Fatalf("name %q, data dir %q", name, c.DataDir)
	}
}

func TestClusterSettings(t *testing.T) {
	c, err := Load("test", []string{"--cluster-gossip", "0.0.0.0:7946", "--cluster-join", "10.0.0.2:7946,10.0.0.3:7946",
		"--database-url", "postgres://db/ccgateway", "--cluster-advertise", "10.0.0.1"},
		[]string{"CCGATEWAY_CLUSTER_NAME=prod", "CCGATEWAY_CLUSTER_SECRET=0123456789abcdef"}, io.Discard, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.ClusterGossip != "0.0.0.0:7946" || len(c.ClusterJoin) != 2 || c.ClusterName != "prod" || c.ClusterAdvertise != "10.0.0.1" ||
		c.ClusterSecret != "0123456789abcdef" || c.ClusterProbeInterval != 400*time.Millisecond || c.ClusterSuspicionMult != 4 {
		t.Errorf("cluster settings %+v", c)
	}
}

func TestMemoryBudgetSizes(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1800MiB": 1800 << 20, "2GiB": 2 << 30, "1.5GB": 1_500_000_000, "300000000": 300_000_000} {
		t.Run(in, func(t *testing.T) {
			c, err := Load("test", []string{"--cli-memory-budget", in}, nil, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.CLIMemoryBudget != want {
				t.Fatalf("budget %d, want %d", c.CLIMemoryBudget, want)
			}
		})
	}
}

// TestKeyDefaultConcurrency: key-default-concurrency comes from a flag, the
// environment or the file like every setting; 0 puts twice max-processes in force,
// -1 no cap (KeyConcurrency), and anything below -1 is refused.
func TestKeyDefaultConcurrency(t *testing.T) {
	file := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(file, []byte("key-default-concurrency: 7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		env     []string
		setting int
		inForce int
	}{
		{"default: twice max-processes", nil, nil, 0, 20},
		{"default follows max-processes", []string{"--max-processes", "4"}, nil, 0, 8},
		{"no cap from the environment", nil, []string{"CCGATEWAY_KEY_DEFAULT_CONCURRENCY=-1"}, -1, -1},
		{"from the file", []string{"--config", file}, nil, 7, 7},
		{"flag over the file", []string{"--config", file, "--key-default-concurrency", "3"}, nil, 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load("test", tt.args, tt.env, io.Discard, nil)
			if err != nil {
				t.Fatal(err)
			}
			if c.KeyDefaultConcurrency != tt.setting || c.KeyConcurrency() != tt.inForce {
				t.Fatalf("setting %d, in force %d; want %d and %d", c.KeyDefaultConcurrency, c.KeyConcurrency(), tt.setting, tt.inForce)
			}
		})
	}
	_, err := Load("test", []string{"--key-default-concurrency", "-2"}, nil, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "key-default-concurrency") {
		t.Fatalf("-2: %v, want an error naming key-default-concurrency", err)
	}
}
