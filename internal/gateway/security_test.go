package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// send issues a request with headers and returns the response and its body.
func send(t *testing.T, client *http.Client, method, url string, body []byte, headers map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func trustLoopback(cfg *config.Config, _ *claudecli.Config) {
	cfg.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
}

func TestIPAllowlist(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trusted bool
		xff     string
		status  int
	}{
		{"proxy trusted, client allowed", true, "203.0.113.9", 200},
		{"proxy trusted, client not allowed", true, "198.51.100.1", 403},
		{"proxy trusted, spoofed hop before the real client", true, "203.0.113.9, 198.51.100.1", 403},
		{"proxy not trusted: X-Forwarded-For ignored", false, "203.0.113.9", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []gatewayOption
			if tt.trusted {
				opts = append(opts, trustLoopback)
			}
			g := newGateway(t, opts...)
			key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.AllowedIPs = []string{"203.0.113.0/24"} })
			resp, body := send(t, nil, "GET", g.srv.URL+"/api/models", nil, map[string]string{"x-api-key": key, "X-Forwarded-For": tt.xff})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.status == 403 && decodeProblem(t, resp, body).Code != api.CodeIPNotAllowed {
				t.Errorf("problem %s", body)
			}
		})
	}
}

func TestRequestSigning(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	adminTok := g.adminToken()
	_, body := g.do(context.Background(), "POST", "/admin/api-keys", adminTok, map[string]any{"name": "signed", "require_signature": true})
	k := decode[admin.APIKeyBody](t, body)
	if !strings.HasPrefix(k.SigningSecret, auth.SigningSecretPrefix) {
		t.Fatalf("no signing secret issued: %s", body)
	}
	if _, b := g.do(context.Background(), "GET", "/admin/api-keys/"+k.ID, adminTok, nil); strings.Contains(string(b), k.SigningSecret) {
		t.Fatal("GET shows the signing secret")
	}
	signed := func(method, path string, body []byte, ts time.Time) map[string]string {
		unix := ts.Unix()
		return map[string]string{
			"x-api-key": k.Key, "Content-Type": "application/json",
			auth.HeaderTimestamp: strconv.FormatInt(unix, 10),
			auth.HeaderSignature: auth.Sign(k.SigningSecret, unix, method, path, body),
		}
	}
	chatBody := []byte(`{"message":"hi","model":"gpt-4"}`)
	valid := signed("POST", "/api/chat", chatBody, time.Now())
	tests := []struct {
		name    string
		method  string
		path    string
		body    []byte
		headers map[string]string
		status  int
		code    string
	}{
		{"valid GET", "GET", "/api/models", nil, signed("GET", "/api/models", nil, time.Now()), 200, ""},
		// The body reaches the handler intact: it refuses the model named in it.
		{"valid POST, body restored", "POST", "/api/chat", chatBody, valid, 400, api.CodeModelUnknown},
		{"replayed", "POST", "/api/chat", chatBody, valid, 401, api.CodeSignatureReplayed},
		{"stale", "GET", "/api/models", nil, signed("GET", "/api/models", nil, time.Now().Add(-6*time.Minute)), 401, api.CodeSignatureExpired},
		{"tampered body", "POST", "/api/chat", []byte(`{"message":"hi","model":"opus"}`), signed("POST", "/api/chat", chatBody, time.Now().Add(time.Second)), 401, api.CodeSignatureInvalid},
		{"other path", "GET", "/api/usage", nil, signed("GET", "/api/models", nil, time.Now().Add(2*time.Second)), 401, api.CodeSignatureInvalid},
		{"unsigned", "GET", "/api/models", nil, map[string]string{"x-api-key": k.Key}, 401, api.CodeSignatureMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := send(t, nil, tt.method, g.srv.URL+tt.path, tt.body, tt.headers)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" && decodeProblem(t, resp, body).Code != tt.code {
				t.Errorf("problem %s, want code %s", body, tt.code)
			}
		})
	}
	assertNoSecrets(t, g, k.Key, k.SigningSecret)
}

func TestCORS(t *testing.T) {
	t.Parallel()
	preflight := map[string]string{"Origin": "https://console.example.com", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
	t.Run("none by default", func(t *testing.T) {
		g := newGateway(t)
		resp, _ := send(t, nil, "OPTIONS", g.srv.URL+"/api/chat", nil, preflight)
		if v := resp.Header.Get("Access-Control-Allow-Origin"); v != "" {
			t.Fatalf("CORS allowed %q with no origins configured", v)
		}
	})
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) {
		cfg.CORSOrigins = []string{"https://console.example.com"}
	})
	key, _ := g.newKey(store.KeyActive)
	tests := []struct {
		name, method, origin string
		headers              map[string]string
		allow                bool
		status               int
	}{
		{"allowed preflight", "OPTIONS", "https://console.example.com", preflight, true, 204},
		{"other origin preflight", "OPTIONS", "https://evil.example.com", preflight, false, 204},
		{"allowed request", "GET", "https://console.example.com", map[string]string{"x-api-key": key}, true, 200},
		{"other origin request", "GET", "https://evil.example.com", map[string]string{"x-api-key": key}, false, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := map[string]string{}
			for k, v := range tt.headers {
				h[k] = v
			}
			h["Origin"] = tt.origin
			path := "/api/models"
			resp, body := send(t, nil, tt.method, g.srv.URL+path, nil, h)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			got := resp.Header.Get("Access-Control-Allow-Origin")
			if tt.allow != (got == tt.origin) || (!tt.allow && got != "") {
				t.Fatalf("Access-Control-Allow-Origin %q for %s", got, tt.origin)
			}
			if tt.allow && tt.method == "OPTIONS" && !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
				t.Errorf("allow headers %q", resp.Header.Get("Access-Control-Allow-Headers"))
			}
		})
	}
}

func TestForceHTTPS(t *testing.T) {
	t.Parallel()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, mode := range []string{config.ForceHTTPSRedirect, config.ForceHTTPSRefuse} {
		t.Run(mode, func(t *testing.T) {
			g := newGateway(t, trustLoopback, func(cfg *config.Config, _ *claudecli.Config) { cfg.ForceHTTPS = mode })
			key, _ := g.newKey(store.KeyActive)
			resp, body := send(t, noRedirect, "GET", g.srv.URL+"/api/models?x=1", nil, map[string]string{"x-api-key": key})
			if mode == config.ForceHTTPSRedirect {
				if resp.StatusCode != http.StatusPermanentRedirect || !strings.HasPrefix(resp.Header.Get("Location"), "https://") || !strings.HasSuffix(resp.Header.Get("Location"), "/api/models?x=1") {
					t.Fatalf("plain GET: %d Location %q", resp.StatusCode, resp.Header.Get("Location"))
				}
			} else if resp.StatusCode != 403 || decodeProblem(t, resp, body).Code != api.CodeHTTPSRequired {
				t.Fatalf("plain GET: %d %s", resp.StatusCode, body)
			}
			resp, body = send(t, noRedirect, "POST", g.srv.URL+"/api/chat", []byte(`{"message":"x"}`), map[string]string{"x-api-key": key})
			if resp.StatusCode != 403 || decodeProblem(t, resp, body).Code != api.CodeHTTPSRequired {
				t.Fatalf("plain POST: %d %s", resp.StatusCode, body)
			}
			resp, body = send(t, noRedirect, "GET", g.srv.URL+"/api/models", nil, map[string]string{"x-api-key": key, "X-Forwarded-Proto": "https"})
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
				t.Fatalf("via a trusted TLS proxy: %d HSTS %q %s", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"), body)
			}
			if resp, _ := send(t, noRedirect, "GET", g.srv.URL+"/healthz", nil, nil); resp.StatusCode != 200 {
				t.Errorf("/healthz over plain HTTP: %d", resp.StatusCode)
			}
		})
	}
	t.Run("untrusted proxy header ignored", func(t *testing.T) {
		g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) { cfg.ForceHTTPS = config.ForceHTTPSRefuse })
		resp, _ := send(t, noRedirect, "GET", g.srv.URL+"/api/models", nil, map[string]string{"X-Forwarded-Proto": "https"})
		if resp.StatusCode != 403 || resp.Header.Get("Strict-Transport-Security") != "" {
			t.Fatalf("status %d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
	})
	t.Run("TLS sends HSTS", func(t *testing.T) {
		g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) {
			cfg.TLSCertFile, cfg.ForceHTTPS = testTLS, config.ForceHTTPSRefuse
		})
		key, _ := g.newKey(store.KeyActive)
		client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		resp, body := send(t, client, "GET", g.srv.URL+"/api/models", nil, map[string]string{"x-api-key": key})
		if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") != "max-age=15552000; includeSubDomains" {
			t.Fatalf("%d HSTS %q %s", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"), body)
		}
	})
}

// TestFailedAuthLimiter: after a burst of bad keys from one address, bad keys,
// bad admin tokens, unknown keys and logins are refused with 429 before any
// database work, while a key that authenticated before and a valid admin token
// still pass (issue 13 item 11: a shared NAT must not lock out valid credentials).
func TestFailedAuthLimiter(t *testing.T) {
	t.Parallel()
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) { cfg.AuthFailureBurst = 3 })
	good, _ := g.newKey(store.KeyActive)
	if resp, body := g.do(context.Background(), "GET", "/api/models", good, nil); resp.StatusCode != 200 {
		t.Fatalf("good key before the burst: %d %s", resp.StatusCode, body)
	}
	unseen, _ := g.newKey(store.KeyActive) // valid, but never used from here
	adminTok := g.adminToken()
	bad, _ := auth.GenerateKey()
	for i := range 3 {
		if resp, _ := g.do(context.Background(), "GET", "/api/models", bad.Secret, nil); resp.StatusCode != 401 {
			t.Fatalf("failure %d: status %d", i, resp.StatusCode)
		}
	}
	for _, tt := range []struct {
		name, path, token string
		status            int
	}{
		{"bad key", "/api/models", bad.Secret, 429},
		{"unseen key", "/api/models", unseen, 429},
		{"bad admin token", "/admin/api-keys", "x.y.z", 429},
		{"good key", "/api/models", good, 200},
		{"good admin token", "/admin/api-keys", adminTok, 200},
	} {
		resp, body := g.do(context.Background(), "GET", tt.path, tt.token, nil)
		if resp.StatusCode != tt.status {
			t.Errorf("%s after the burst: %d %s, want %d", tt.name, resp.StatusCode, body, tt.status)
			continue
		}
		if tt.status == 429 && (decodeProblem(t, resp, body).Code != api.CodeTooManyAuthFailures || resp.Header.Get("Retry-After") == "") {
			t.Errorf("%s after the burst: %s (Retry-After %q)", tt.name, body, resp.Header.Get("Retry-After"))
		}
	}
	resp, _ := g.do(context.Background(), "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: "guess"})
	if resp.StatusCode != 429 {
		t.Errorf("login after the burst: %d", resp.StatusCode)
	}
}

// TestLoginLimiterHoldsUnderConcurrency replays issue 13 item 6: 60 concurrent
// wrong passwords from one address. Every attempt reserves its place in the
// failed-auth budget before the password check, so only the burst is checked
// (401, audited as admin.login_failed) and the rest get 429.
func TestLoginLimiterHoldsUnderConcurrency(t *testing.T) {
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) { cfg.AuthFailureBurst = 5 })
	hash, err := auth.HashPassword("the right admin password")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.st.UpsertAdmin(context.Background(), &store.Admin{Username: "admin", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	statuses := make(chan int, 60)
	start := make(chan struct{})
	for i := range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			resp, _ := g.do(context.Background(), "POST", "/admin/login", "", admin.LoginRequest{Username: "admin", Password: fmt.Sprintf("guess-%d", i)})
			statuses <- resp.StatusCode
		}()
	}
	close(start)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[401] != 5 || count[429] != 55 {
		t.Fatalf("statuses %v: want 5 checked (401) and 55 refused (429)", count)
	}
}
