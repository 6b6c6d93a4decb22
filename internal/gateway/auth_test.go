package gateway

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

func TestKeyAuthentication(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	active, _ := g.newKey(store.KeyActive)
	suspended, _ := g.newKey(store.KeySuspended)
	expiredStatus, _ := g.newKey(store.KeyExpired)
	past := time.Now().Add(-time.Minute)
	expiredAt, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.ExpiresAt = &past })
	unknown, _ := auth.GenerateKey()

	tests := []struct {
		name   string
		header string
		value  string
		status int
		code   string
	}{
		{"no key", "", "", 401, api.CodeUnauthorized},
		{"garbage", "Authorization", "Bearer nope", 401, api.CodeUnauthorized},
		{"unknown key", "Authorization", "Bearer " + unknown.Secret, 401, api.CodeUnauthorized},
		{"suspended", "Authorization", "Bearer " + suspended, 403, api.CodeKeySuspended},
		{"expired status", "x-api-key", expiredStatus, 403, api.CodeKeyExpired},
		{"expired by date", "x-api-key", expiredAt, 403, api.CodeKeyExpired},
		{"bearer ok", "Authorization", "Bearer " + active, 200, ""},
		{"x-api-key ok", "x-api-key", active, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", g.srv.URL+"/api/models", nil)
			if tt.header != "" {
				req.Header.Set(tt.header, tt.value)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body json.RawMessage
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.code != "" {
				p := decodeProblem(t, resp, body)
				if p.Code != tt.code || p.RequestID == "" || p.Instance != "/api/models" {
					t.Errorf("problem %+v, want code %q with request id and instance", p, tt.code)
				}
				return
			}
			var ml tenant.ModelList
			if err := json.Unmarshal(body, &ml); err != nil || len(ml.Models) != 3 {
				t.Errorf("models %s", body)
			}
		})
	}
}

func TestKeysAreStoredHashed(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	secret, k := g.newKey(store.KeyActive)
	db, err := sql.Open("sqlite", filepath.Join(g.dir, "ccgateway.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT * FROM api_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	seen := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			var s string
			switch v := v.(type) {
			case string:
				s = v
			case []byte:
				s = string(v)
			}
			if strings.Contains(s, secret) || strings.Contains(s, secret[len("sk-ccg-"):]) {
				t.Fatalf("column %s holds the plaintext key", cols[i])
			}
			if s == k.Hash {
				seen++
			}
		}
	}
	if seen != 1 {
		t.Fatalf("the key's hash was found %d times, want 1", seen)
	}
}

func TestChatValidation(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	tests := []struct {
		name   string
		body   any
		status int
		code   string
		field  string
	}{
		{"missing message", map[string]any{"model": "sonnet"}, 422, api.CodeValidationFailed, "message"},
		{"blank message", map[string]any{"message": "   "}, 400, api.CodeInvalidRequest, ""},
		{"temperature out of range", map[string]any{"message": "x", "temperature": 3}, 422, api.CodeValidationFailed, "temperature"},
		{"max_tokens zero", map[string]any{"message": "x", "max_tokens": 0}, 422, api.CodeValidationFailed, "max_tokens"},
		{"unknown model", map[string]any{"message": "x", "model": "gpt-4"}, 400, api.CodeModelUnknown, ""},
		{"too large", map[string]any{"message": strings.Repeat("a", g.cfg.MaxMessageBytes+1)}, 413, api.CodeTooLarge, ""},
		{"unknown field", map[string]any{"message": "x", "bogus": 1}, 422, api.CodeValidationFailed, "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.do(context.Background(), "POST", "/api/chat", key, tt.body)
			p := decodeProblem(t, resp, body)
			if resp.StatusCode != tt.status || p.Code != tt.code {
				t.Fatalf("got %d %q, want %d %q: %s", resp.StatusCode, p.Code, tt.status, tt.code, body)
			}
			if tt.field != "" && !strings.Contains(string(body), tt.field) {
				t.Errorf("the problem does not name %q: %s", tt.field, body)
			}
		})
	}
	if n := len(g.fake.Requests()); n != 0 {
		t.Errorf("invalid requests reached the API %d times", n)
	}
}

func TestAdminLogin(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	hash, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if err := g.st.UpsertAdmin(context.Background(), &store.Admin{Username: "admin", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, user, pw string
		status         int
	}{
		{"right", "admin", "correct horse battery", 200},
		{"wrong password", "admin", "wrong", 401},
		{"unknown user", "root", "correct horse battery", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.do(context.Background(), "POST", "/admin/login", "", admin.LoginRequest{Username: tt.user, Password: tt.pw})
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			if tt.status != 200 {
				return
			}
			var lr admin.LoginResponse
			if err := json.Unmarshal(body, &lr); err != nil || lr.Token == "" || !lr.ExpiresAt.After(time.Now()) {
				t.Fatalf("login response %s", body)
			}
		})
	}
	if strings.Contains(g.logs.String(), "correct horse") {
		t.Error("a password reached the log")
	}
}

func TestMessageTextIsNotLoggedByDefault(t *testing.T) {
	t.Parallel()
	for _, logMessages := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "log-messages on"}[logMessages], func(t *testing.T) {
			g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.LogMessages = logMessages })
			key, _ := g.newKey(store.KeyActive)
			resp, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "a very private sentence"})
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			logs := g.logs.String()
			if got := strings.Contains(logs, "a very private sentence"); got != logMessages {
				t.Errorf("message text in logs = %v, want %v", got, logMessages)
			}
			if strings.Contains(logs, key) || strings.Contains(logs, key[len("sk-ccg-"):]) {
				t.Error("the API key reached the log")
			}
			if !strings.Contains(logs, `"request_id"`) {
				t.Error("the access log has no request id")
			}
		})
	}
}

// TestInternalErrorsAreLoggedNotSent breaks the store under a running gateway: the
// client gets a bare 500 problem, and the cause reaches the log with the request id.
func TestInternalErrorsAreLoggedNotSent(t *testing.T) {
	t.Parallel()
	var st *brokenListStore
	g := newGatewayOn(t, func(s store.Store) store.Store { st = &brokenListStore{Store: s}; return st })
	key, _ := g.newKey(store.KeyActive)
	resp, body := g.do(context.Background(), "GET", "/api/conversations", key, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("before: %d %s", resp.StatusCode, body)
	}
	// The store fails the way a closed one does (closing it for real would hold the
	// node's shutdown on the usage writer's 30 s of retries).
	st.broken.Store(true)
	resp, body = g.do(context.Background(), "GET", "/api/conversations", key, nil)
	p := decodeProblem(t, resp, body)
	if resp.StatusCode != 500 || p.Code != api.CodeInternal || len(p.Errors) != 0 {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
	if strings.Contains(string(body), "sql") || strings.Contains(string(body), "closed") {
		t.Errorf("the response leaks the internal error: %s", body)
	}
	var logged bool
	for _, line := range strings.Split(g.logs.String(), "\n") {
		if strings.Contains(line, p.RequestID) && strings.Contains(line, `"err"`) && strings.Contains(line, `"level":"ERROR"`) {
			logged = true
		}
	}
	if !logged {
		t.Errorf("no error log line for request %s:\n%s", p.RequestID, g.logs.String())
	}
}

// brokenListStore fails conversation lists once broken is set, with the error a
// closed database gives.
type brokenListStore struct {
	store.Store
	broken atomic.Bool
}

func (s *brokenListStore) ListConversations(ctx context.Context, keyID string, limit, offset int) ([]*store.Conversation, int, error) {
	if s.broken.Load() {
		return nil, 0, errors.New("store: list conversations: sql: database is closed")
	}
	return s.Store.ListConversations(ctx, keyID, limit, offset)
}
