package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/datadir"
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
			CacheDir:         datadir.New(cfg.DataDir).PolicyCache(),
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

// topicPolicies is the cluster broadcast of a policy chain change.
const topicPolicies = "policies"

// clusterPolicies keeps the policy chain the same on every node: a change made
// here is broadcast, a broadcast from another node reloads the chain from the
// store, and a reload every 10 s catches up a missed broadcast. The returned stop
// ends the watcher.
func clusterPolicies(sys *actors.System, pols *policyset.Manager, log *slog.Logger) (stop func()) {
	wctx, cancel := context.WithCancel(context.Background())
	pols.OnChange(func() {
		if err := sys.Broadcast(topicPolicies, nil); err != nil {
			log.Warn("cluster broadcast incomplete; the store fallback catches up", "topic", topicPolicies, "err", err)
		}
	})
	sys.HandleBroadcast(topicPolicies, func([]byte) {
		rctx, cancel := context.WithTimeout(wctx, 30*time.Second)
		defer cancel()
		start := time.Now()
		if changed, err := pols.Reload(rctx); err != nil {
			log.Warn("policy chain reload", "err", err)
		} else if changed {
			log.Info("policy chain reloaded after a change on another node", "took", time.Since(start))
		}
	})
	done := make(chan struct{})
	go func() { pols.Watch(wctx, 10*time.Second, log); close(done) }()
	return func() { cancel(); <-done }
}
