package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/policyset"
	"github.com/ccgateway/ccgateway/policies"
)

// policyConfig is the policy engine's share of the configuration: the call
// deadline, the memory cap, a compilation cache in the data dir (a restart loads
// known modules in milliseconds), and the bundled permissions policy's aliases
// (the gateway's models) and max_tokens mode.
func policyConfig(cfg *config.Config) policyset.Config {
	aliases := map[string]string{}
	for _, m := range cfg.Models {
		for _, a := range m.Aliases {
			aliases[a] = m.ID
		}
	}
	return policyset.Config{
		Engine: policies.Config{
			CacheDir:         filepath.Join(cfg.DataDir, "policy-cache"),
			CallTimeout:      cfg.PolicyCallTimeout,
			MemoryLimitPages: uint32(cfg.PolicyMemoryMB) * 16, // 64 KiB pages
		},
		PermissionsConfig: policyset.PermissionsConfig(aliases, cfg.PolicyMaxTokensMode),
	}
}

// closePolicies releases the chain and the engine once the turns have stopped.
func closePolicies(m *policyset.Manager, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		log.Warn("closing the policy engine", "err", err)
	}
}
