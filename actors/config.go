package actors

import (
	"errors"
	"time"

	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/telemetry"
	"github.com/ccgateway/ccgateway/policies"
)

// Config is the actor system's configuration. Zero values of the optional fields
// take the defaults noted.
type Config struct {
	CLI         claudecli.Config
	DataDir     string        // tenant workspaces live in DataDir/tenants/<key id>
	TurnTimeout time.Duration // overall deadline of one turn, queue wait included

	Scheduler scheduler.Config // default: 10 processes, queue 100, 30s wait
	// Prewarm is how many spare processes wait for new conversations, with the spawn
	// signatures in demand (before any demand: model DefaultModel, no system prompt,
	// max tokens or temperature, no tools).
	Prewarm int
	// PrewarmMinIdle lets a spare take the slot of the least recently used
	// conversation process idle at least this long when the cap is full (0 = spares
	// use free slots only).
	PrewarmMinIdle time.Duration
	// MemoryBudget caps the total RSS of the node's CLI processes, in bytes: idle
	// ones are ended to keep within it, and no spare is spawned above it (0 = none).
	MemoryBudget int64
	DefaultModel string
	IdleTTL      time.Duration // passivation of an idle conversation; default 5m
	MaxPending   int           // turns waiting behind a running one per conversation; default 8
	// Retention deletes conversations idle longer than this; 0 keeps them forever.
	Retention time.Duration
	// SweepInterval is the time between sweeps, which remove the directories of
	// deleted keys and, with a Retention, idle conversations (then at least every
	// Retention/10); default 1h.
	SweepInterval time.Duration
	// OwnerSweeps leaves the sweeps to the system's owner, which calls Sweep
	// every SweepEvery (the node's one retention loop); the system runs none.
	OwnerSweeps bool
	Cluster     cluster.Config // default: name "ccgateway", bind 127.0.0.1:0
	Node        string         // this node's name, prefixed to the lease owner; default "local"
	// HTTPAddr and Version are published to the other members (the admin view).
	HTTPAddr string
	Version  string
	// LeaseTTL is how long a conversation's lease outlives its last renewal: after
	// a crash, the conversation waits this long before another owner may run it.
	LeaseTTL time.Duration // default 30s
	// LeaseRenew is how often a held lease is renewed; less than LeaseTTL.
	LeaseRenew time.Duration // default 10s
	// LeaseHandoverWait is how long a turn waits, in a cluster, for a lease that
	// another node still holds (a leaving node draining, a dead one about to be
	// declared dead); default 5s.
	LeaseHandoverWait time.Duration

	// Policies is the registry of the admission chain that tenant grains run; nil
	// admits every request. It is a live value, not a setting: the caller owns it
	// and swaps chains in it while the system runs.
	Policies *policies.Registry
	// Telemetry, when set, traces turns on their grains (as children of the caller's
	// span) and records queue wait and time to first token. A live value, like
	// Policies.
	Telemetry *telemetry.Telemetry
	// TenantIdleTTL passivates a key's tenant grain after this long without
	// requests in flight; default 10m. Its counters are rebuilt from the store.
	TenantIdleTTL time.Duration
	// KeyDefaultConcurrency caps the requests one API key has in flight (admitted
	// or being admitted) when the key has no concurrency limit of its own; beyond
	// it a request is denied at once with concurrency_limit. 0 = twice
	// Scheduler.MaxProcesses (the turns that can run plus as many waiting); negative
	// = no cap. The key's tenant grain applies the value of the node it runs on.
	KeyDefaultConcurrency int
}

// withDefaults fills the optional fields.
func (c Config) withDefaults() Config {
	if c.Scheduler.MaxProcesses == 0 {
		c.Scheduler.MaxProcesses = 10
	}
	if c.KeyDefaultConcurrency == 0 {
		c.KeyDefaultConcurrency = 2 * c.Scheduler.MaxProcesses
	}
	if c.Scheduler.MaxQueue == 0 {
		c.Scheduler.MaxQueue = 100
	}
	if c.Scheduler.QueueTimeout == 0 {
		c.Scheduler.QueueTimeout = 30 * time.Second
	}
	if c.IdleTTL == 0 {
		c.IdleTTL = 5 * time.Minute
	}
	if c.MaxPending == 0 {
		c.MaxPending = 8
	}
	if c.Cluster.Name == "" {
		c.Cluster.Name = "ccgateway"
	}
	if c.Cluster.Bind == "" {
		c.Cluster.Bind = "127.0.0.1:0"
	}
	if c.Node == "" {
		c.Node = "local"
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 30 * time.Second
	}
	if c.LeaseHandoverWait == 0 {
		c.LeaseHandoverWait = 5 * time.Second
	}
	if c.LeaseRenew == 0 {
		c.LeaseRenew = min(10*time.Second, c.LeaseTTL/3)
	}
	return c
}

// Validate checks the configuration (after defaults).
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("actors: data dir is empty")
	}
	if c.TurnTimeout <= 0 {
		return errors.New("actors: turn timeout must be positive")
	}
	if c.Prewarm < 0 || c.Prewarm > c.Scheduler.MaxProcesses {
		return errors.New("actors: prewarm must be 0..max processes")
	}
	if c.Prewarm > 0 && c.DefaultModel == "" {
		return errors.New("actors: prewarm needs a default model")
	}
	if c.PrewarmMinIdle < 0 || c.MemoryBudget < 0 {
		return errors.New("actors: negative prewarm min idle or memory budget")
	}
	if c.IdleTTL < 0 || c.Retention < 0 || c.MaxPending < 0 || c.TenantIdleTTL < 0 {
		return errors.New("actors: negative idle TTL, retention or max pending")
	}
	if c.LeaseTTL < 0 || c.LeaseRenew <= 0 || c.LeaseRenew >= c.LeaseTTL {
		return errors.New("actors: lease renew interval must be positive and less than the lease TTL")
	}
	if err := c.Scheduler.Validate(); err != nil {
		return err
	}
	if err := c.Cluster.Validate(); err != nil {
		return err
	}
	return c.CLI.Validate()
}
