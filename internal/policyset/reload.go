package policyset

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// OnChange sets fn to run (in its own goroutine) after every change this Manager
// makes to the chain; in a cluster it tells the other nodes to Reload. Call it
// before the Manager is shared.
func (m *Manager) OnChange(fn func()) { m.onChange = fn }

// Reload rebuilds the chain from the store when the stored active versions differ
// from the chain's, after another node changed them. It reports whether the
// chain changed. A stored version that does not load leaves the chain as it is
// (the node that activated it checked it; this one logs the failure).
func (m *Manager) Reload(ctx context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	active, err := m.st.ListActivePolicies(ctx)
	if err != nil {
		return false, fmt.Errorf("policyset: reload: %w", err)
	}
	if sameActive(m.current, active) {
		return false, nil
	}
	chain, entries, err := m.build(ctx, active)
	if err != nil {
		return false, fmt.Errorf("policyset: reload: %w", err)
	}
	m.reg.Swap(chain)
	m.current = entries
	return true, nil
}

// sameActive reports whether the chain's stored entries are exactly active (the
// same modules, configurations and failure modes, not only the same versions).
func sameActive(current []Entry, active []*store.PolicyVersion) bool {
	var have, want []string
	for _, e := range current {
		if !e.Bundled {
			have = append(have, e.key)
		}
	}
	for _, p := range active {
		want = append(want, entryKey(p))
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

// Watch reloads the chain every interval until ctx ends: the store fallback for a
// cluster broadcast this node missed. It returns when ctx ends.
func (m *Manager) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if changed, err := m.Reload(ctx); err != nil && ctx.Err() == nil {
			log.Warn("policy chain reload", "err", err)
		} else if changed {
			log.Info("policy chain reloaded from the store (a missed cluster broadcast)")
		}
	}
}
