package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/datadir"
	"github.com/ccgateway/ccgateway/internal/store"
	usagelog "github.com/ccgateway/ccgateway/internal/usage"
)

// OpenStore opens the store the settings name (SQLite in the data dir, or
// PostgreSQL) and applies the migrations.
func OpenStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	st, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// StoreKind names the store the settings choose: postgres or sqlite.
func StoreKind(cfg *config.Config) string {
	if strings.HasPrefix(cfg.DatabaseURL, "postgres") {
		return "postgres"
	}
	return "sqlite"
}

// ensureAdmin creates or resets the local admin user "admin" when a password is configured.
func ensureAdmin(ctx context.Context, st store.Store, cfg *config.Config, log *slog.Logger) error {
	if cfg.AdminPassword == "" {
		return nil
	}
	if err := SetAdminPassword(ctx, st, "admin", cfg.AdminPassword); err != nil {
		return err
	}
	log.Info("local admin user ready", "username", "admin")
	return nil
}

// SetAdminPassword sets the admin's password. A new password revokes the
// admin's tokens (store.UpsertAdmin bumps its token version); the password it
// already has changes nothing, so restarting with CCGATEWAY_ADMIN_PASSWORD set
// does not log every admin out.
func SetAdminPassword(ctx context.Context, st store.Store, username, password string) error {
	if a, err := st.GetAdminByUsername(ctx, username); err == nil {
		if ok, _ := auth.VerifyPassword(a.PasswordHash, password); ok {
			return nil
		}
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	return st.UpsertAdmin(ctx, &store.Admin{Username: username, PasswordHash: hash})
}

// jwtSecret returns the configured admin-token secret, or one generated once and
// kept in the data dir (mode 0600) so tokens survive restarts.
func jwtSecret(cfg *config.Config) (string, error) {
	if cfg.JWTSecret != "" {
		return cfg.JWTSecret, nil
	}
	path := datadir.New(cfg.DataDir).JWTSecret()
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("jwt secret: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	secret := hex.EncodeToString(b[:])
	if err := os.WriteFile(path, []byte(secret+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("jwt secret: %w", err)
	}
	return secret, nil
}

// authConfig gathers the admin token sources: local tokens always, a shared-secret
// system and an OIDC provider when configured.
func authConfig(cfg *config.Config, localSecret string) auth.Config {
	return auth.Config{
		Local: auth.LocalConfig{Secret: localSecret, TTL: cfg.AdminTokenTTL},
		SharedSecret: auth.SharedSecretConfig{
			Secret: cfg.SharedJWTSecret, Issuer: cfg.SharedJWTIssuer, Audience: cfg.SharedJWTAudience,
			RoleClaim: cfg.SharedJWTRoleClaim, AdminValue: cfg.SharedJWTAdminValue,
		},
		OIDC: auth.OIDCConfig{
			Issuer: cfg.OIDCIssuer, JWKSURL: cfg.OIDCJWKSURL, Audience: cfg.OIDCAudience,
			RoleClaim: cfg.OIDCRoleClaim, AdminValue: cfg.OIDCAdminValue,
		},
	}
}

// closeRecorder writes the buffered usage events; it runs after the HTTP server
// and the turns have stopped, so every answered request's event is in the buffer.
func closeRecorder(w *usagelog.Writer, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		log.Error("usage events lost at shutdown", "err", err)
		return err
	}
	st := w.Stats()
	log.Info("usage events flushed", "written", st.Written, "dropped", st.Dropped)
	return nil
}
