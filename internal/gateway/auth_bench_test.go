package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// BenchmarkKeyAuth measures GET /api/models through the whole middleware stack
// (request id, access log, HTTPS policy, failed-auth limiter, cached key lookup,
// IP allowlist, usage record) against an operation without authentication.
func BenchmarkKeyAuth(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	secret := strings.Repeat("s", 32)
	v, _ := auth.NewVerifier(auth.Config{Local: auth.LocalConfig{Secret: secret}})
	h, _ := api.New(api.Deps{Config: APIConfig(config.Defaults()), Store: st, Admins: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Usage: &memUsage{}}, Groups...)
	gen, _ := auth.GenerateKey()
	k := &store.APIKey{ID: uuid.NewString(), Name: "bench", Prefix: gen.Prefix, Hash: gen.Hash, Status: store.KeyActive,
		AllowedIPs: []string{"192.0.2.0/24"}}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, path, key string) {
		for b.Loop() {
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = "192.0.2.1:1234"
			if key != "" {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusOK {
				b.Fatalf("status %d", w.Code)
			}
		}
	}
	// The difference between the two is the cost of key authentication.
	b.Run("healthz-no-auth", func(b *testing.B) { run(b, "/healthz", "") })
	b.Run("models-key-auth", func(b *testing.B) { run(b, "/api/models", gen.Secret) })

	// A key with a requests-per-minute limit: its answers carry the RateLimit
	// fields, which a request that admission did not decide asks the key's
	// tenant grain for (a local actor request).
	sys, err := actors.New(ActorsConfig(config.Defaults(), claudecli.Config{Path: "claude"}, "bench"), st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = sys.Shutdown(context.Background()) }()
	h, _ = api.New(api.Deps{Config: APIConfig(config.Defaults()), Store: st, Actors: sys, Admins: v, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Usage: &memUsage{}}, Groups...)
	limited, _ := auth.GenerateKey()
	lk := &store.APIKey{ID: uuid.NewString(), Name: "bench-rpm", Prefix: limited.Prefix, Hash: limited.Hash, Status: store.KeyActive,
		AllowedIPs: []string{"192.0.2.0/24"}, UsageLimit: store.UsageLimit{RequestsPerMinute: 1000}}
	if err := st.CreateAPIKey(ctx, lk); err != nil {
		b.Fatal(err)
	}
	b.Run("models-key-auth-actors", func(b *testing.B) { run(b, "/api/models", gen.Secret) })
	b.Run("models-key-ratelimit-fields", func(b *testing.B) { run(b, "/api/models", limited.Secret) })
}
