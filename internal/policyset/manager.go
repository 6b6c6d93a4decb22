// Package policyset keeps the gateway's policy chain in step with the stored policy
// versions. The chain is the bundled ratelimit and permissions policies, each
// replaced by its stored active version when there is one, followed by every other
// stored active policy in name order. Every change (upload with activation,
// activate, rollback, delete) first builds and checks the new chain, then writes the
// store, then swaps the chain in the Registry, so a refused change leaves both
// untouched and evaluations in flight finish on the chain they started on.
package policyset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies"
)

// Failure modes as stored and as the admin API spells them.
const (
	FailClosed = "closed"
	FailOpen   = "open"
)

// Errors of the Manager's mutations, besides the policies package's validation errors.
var (
	// ErrInvalid refuses an upload whose name, config, failure mode or tests are malformed.
	ErrInvalid = errors.New("policyset: invalid policy")
	// ErrNoActive refuses a rollback of a policy that has no active version.
	ErrNoActive = errors.New("policyset: the policy has no active version")
)

// Config configures a Manager.
type Config struct {
	Engine policies.Config
	// PermissionsConfig is the bundled permissions policy's configuration; default
	// policies.DefaultPermissionsConfig.
	PermissionsConfig json.RawMessage
}

// PermissionsConfig is the bundled permissions policy's configuration for a
// gateway: its model aliases (alias -> id) and what to do with a max_tokens above a
// key's cap ("refuse" or "clamp").
func PermissionsConfig(aliases map[string]string, maxTokensMode string) json.RawMessage {
	b, _ := json.Marshal(struct {
		Aliases       map[string]string `json:"aliases"`
		MaxTokensMode string            `json:"max_tokens_mode"`
	}{aliases, maxTokensMode})
	return b
}

// Manager owns the policy engine and the Registry of the active chain.
type Manager struct {
	st     store.Store
	cfg    Config
	log    *slog.Logger
	engine *policies.Engine
	reg    *policies.Registry

	mu       sync.Mutex // serializes changes of the chain
	current  []Entry
	onChange func()
}

// Entry is one policy of the active chain. Version 0 is a bundled policy.
type Entry struct {
	Name        string
	Version     int64
	FailureMode string
	Bundled     bool

	key string // what the loaded policy is made of; see entryKey
}

// entryKey names what a stored version loads as: name, version, failure mode and
// the digests of its module and configuration. A deleted policy's name starts again
// at version 1, so the version alone does not name one module.
func entryKey(p *store.PolicyVersion) string {
	mode := p.FailureMode
	if mode == "" {
		mode = FailClosed
	}
	cfg := sha256.Sum256([]byte(p.Config))
	return fmt.Sprintf("%s@%d/%s/%s/%x", p.Name, p.Version, mode, p.SHA256, cfg[:8]) // the store sets SHA256 of every version
}

// New creates the engine and loads the active chain from st. A stored active
// version that no longer loads is left out (its bundled version serves when it has
// one) and logged, so that the gateway still starts.
func New(ctx context.Context, st store.Store, cfg Config, log *slog.Logger) (*Manager, error) {
	if len(cfg.PermissionsConfig) == 0 {
		cfg.PermissionsConfig = policies.DefaultPermissionsConfig
	}
	if cfg.Engine.Logger == nil && log != nil {
		// Guest log lines go through the gateway's logger (JSON, with its redaction
		// of key- and token-shaped text), never the process's default logger.
		cfg.Engine.Logger = log
	}
	e, err := policies.NewEngine(ctx, cfg.Engine)
	if err != nil {
		return nil, err
	}
	m := &Manager{st: st, cfg: cfg, log: log, engine: e, reg: policies.NewRegistry(nil)}
	active, err := st.ListActivePolicies(ctx)
	if err != nil {
		_ = e.Close(ctx)
		return nil, fmt.Errorf("policyset: %w", err)
	}
	for {
		chain, entries, err := m.build(ctx, active)
		if err == nil {
			m.reg.Swap(chain)
			m.current = entries
			return m, nil
		}
		var bad *loadError
		if !errors.As(err, &bad) || bad.version == 0 { // a bundled policy must load
			_ = e.Close(ctx)
			return nil, fmt.Errorf("policyset: %w", err)
		}
		log.Error("stored policy does not load; left out of the chain", "policy", bad.name, "version", bad.version, "err", bad.err)
		active = without(active, bad.name)
	}
}

// Registry returns the registry of the active chain (tenant grains evaluate it).
func (m *Manager) Registry() *policies.Registry { return m.reg }

// Engine returns the engine that loads the chain's policies.
func (m *Manager) Engine() *policies.Engine { return m.engine }

// Chain describes the active chain in evaluation order.
func (m *Manager) Chain() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.current...)
}

// Close releases the chain and the engine (after every evaluation has finished).
func (m *Manager) Close(ctx context.Context) error {
	m.reg.Close()
	return m.engine.Close(ctx)
}

// loadError names the stored version that failed to load.
type loadError struct {
	name    string
	version int64
	err     error
}

func (e *loadError) Error() string { return fmt.Sprintf("policy %s v%d: %v", e.name, e.version, e.err) }
func (e *loadError) Unwrap() error { return e.err }

// build loads the chain that active (stored active versions) makes.
func (m *Manager) build(ctx context.Context, active []*store.PolicyVersion) (*policies.Chain, []Entry, error) {
	bundled, err := policies.BundledSpecs()
	if err != nil {
		return nil, nil, err
	}
	byName := map[string]*store.PolicyVersion{}
	for _, p := range active {
		byName[p.Name] = p
	}
	var specs []policies.Spec
	var entries []Entry
	for _, b := range bundled {
		if b.Name == policies.Permissions {
			b = m.permissions(b)
		}
		if byName[b.Name] != nil {
			continue // the stored version takes its place
		}
		specs = append(specs, b)
		entries = append(entries, Entry{Name: b.Name, FailureMode: FailClosed, Bundled: true, key: b.Name + "@bundled"})
	}
	for _, p := range active {
		spec, err := SpecOf(p)
		if err != nil {
			return nil, nil, &loadError{name: p.Name, version: p.Version, err: err}
		}
		specs = append(specs, spec)
		entries = append(entries, Entry{Name: p.Name, Version: p.Version, FailureMode: modeName(spec.FailureMode), key: entryKey(p)})
	}
	sort.SliceStable(specs, func(i, j int) bool { return before(specs[i].Name, specs[j].Name) })
	sort.SliceStable(entries, func(i, j int) bool { return before(entries[i].Name, entries[j].Name) })
	// A policy the active chain already runs, made of the same module, configuration
	// and failure mode, is kept, not loaded again: a change loads (compiles,
	// instantiates, self-tests) only what it changes.
	running := map[string]*policies.Policy{}
	if cur, release, err := m.reg.Acquire(); err == nil {
		defer release() // the kept policies stay open until the new chain retains them
		if ps := cur.Policies(); len(ps) == len(m.current) {
			for i, p := range ps {
				running[m.current[i].key] = p
			}
		}
	}
	loaded := make([]*policies.Policy, 0, len(specs)) // the new ones: this function's references
	defer func() {
		for _, p := range loaded {
			p.Close()
		}
	}()
	chainOf := make([]*policies.Policy, 0, len(specs))
	for i, s := range specs {
		if p := running[entries[i].key]; p != nil {
			chainOf = append(chainOf, p)
			continue
		}
		p, err := m.engine.Load(ctx, s)
		if err != nil {
			return nil, nil, &loadError{name: s.Name, version: s.Version, err: err}
		}
		loaded = append(loaded, p)
		chainOf = append(chainOf, p)
	}
	chain, err := policies.NewChain(m.engine, chainOf...)
	return chain, entries, err
}

// permissions gives the bundled permissions spec the gateway's configuration. Its
// bundled self-tests assume the default aliases, so they run only with those.
func (m *Manager) permissions(b policies.Spec) policies.Spec {
	if !bytes.Equal(m.cfg.PermissionsConfig, b.Config) {
		b.Config, b.Tests = m.cfg.PermissionsConfig, nil
	}
	return b
}

// before orders the chain: ratelimit first (the cheapest deny), then
// permissions, then the other policies by name.
func before(a, b string) bool {
	ra, rb := rank(a), rank(b)
	return ra < rb || ra == rb && a < b
}

func rank(name string) int {
	switch name {
	case policies.RateLimit:
		return 0
	case policies.Permissions:
		return 1
	}
	return 2
}

func without(ps []*store.PolicyVersion, name string) []*store.PolicyVersion {
	out := ps[:0:0]
	for _, p := range ps {
		if p.Name != name {
			out = append(out, p)
		}
	}
	return out
}

// SpecOf turns a stored version into a loadable Spec.
func SpecOf(p *store.PolicyVersion) (policies.Spec, error) {
	tests, err := policies.ParseTests([]byte(p.Tests))
	if err != nil {
		return policies.Spec{}, err
	}
	mode, err := parseMode(p.FailureMode)
	if err != nil {
		return policies.Spec{}, err
	}
	var cfg json.RawMessage
	if p.Config != "" {
		cfg = json.RawMessage(p.Config)
	}
	return policies.Spec{Name: p.Name, Version: p.Version, Wasm: p.Wasm, Config: cfg, FailureMode: mode, Tests: tests}, nil
}

func parseMode(s string) (policies.FailureMode, error) {
	switch s {
	case "", FailClosed:
		return policies.FailClosed, nil
	case FailOpen:
		return policies.FailOpen, nil
	}
	return 0, fmt.Errorf("%w: failure mode %q is neither %q nor %q", ErrInvalid, s, FailClosed, FailOpen)
}

func modeName(m policies.FailureMode) string {
	if m == policies.FailOpen {
		return FailOpen
	}
	return FailClosed
}
