// Package actors runs chat turns for the API layer on protoactor-go. System is the
// facade that api calls. Each conversation is a grain of the cluster kind
// "conversation" (actors/conversation) placed through the cluster provider (one node
// today: cluster.SingleNode); the node's CLI processes are capped and shared fairly
// by actors/scheduler. A turn's events reach the caller through a local receiver
// actor that the grain streams to and watches. Each API key has a grain of kind
// "tenant" (actors/tenant) that admits its requests with the policy chain (Admit).
package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/ccgateway/ccgateway/actors/conversation"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/actors/tenant"
	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// ErrShuttingDown is returned for new turns once Shutdown has begun.
var ErrShuttingDown = errors.New("actors: shutting down")

// requestTimeout bounds one actor request (ack, stop): never a whole turn.
const requestTimeout = 10 * time.Second

// System runs turns. It is safe for concurrent use.
type System struct {
	cfg   Config
	log   *slog.Logger
	st    store.Store
	sys   *actor.ActorSystem
	cl    *pcluster.Cluster
	sched *scheduler.Scheduler
	pool  *scheduler.Pool[conversation.Signature, *cliProcess]
	mem   memory
	cli   *launcher
	lease *conversation.Leases
	prov  *cluster.Provider // nil on a single node
	// deaths follows the members declared dead, so that grain calls move on
	// (grainrequest.go).
	deaths *deathWatch
	// view is this node's part in the admin view of the cluster (clusterview.go).
	view *clusterView

	mu       sync.Mutex
	closing  bool
	tn       keyTurns // guarded by mu
	inflight sync.WaitGroup
	// kill ends every turn at once when the shutdown deadline passes.
	kill       context.Context
	killCancel context.CancelFunc
	bg         sync.WaitGroup // the sweeper
	started    time.Time
	stopBG     context.CancelFunc
}

// New starts the actor system and its one-node cluster.
func New(cfg Config, st store.Store, log *slog.Logger) (*System, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errors.New("actors: no store")
	}
	sched, err := scheduler.New(cfg.Scheduler)
	if err != nil {
		return nil, err
	}
	kill, killCancel := context.WithCancel(context.Background())
	s := &System{cfg: cfg, log: log, st: st, sched: sched, kill: kill, killCancel: killCancel, started: time.Now(), deaths: newDeathWatch(), view: newClusterView(),
		tn: keyTurns{turns: map[string]map[string]int{}, deleting: map[string]int{}}}
	if s.cli, err = newLauncher(cfg, log); err != nil {
		killCancel()
		return nil, err
	}
	deps := &conversation.Deps{
		Store: st, Sched: sched, Launcher: s.cli, Encode: encodeError, Log: log,
		IdleTTL: cfg.IdleTTL, MaxPending: cfg.MaxPending, TurnTimeout: cfg.TurnTimeout, Kill: kill,
		SettleSlot: s.settleSlot,
	}
	if cfg.Telemetry != nil {
		if deps.Turns, err = cfg.Telemetry.Turns(); err != nil {
			killCancel()
			return nil, err
		}
	}
	pcfg := scheduler.PoolConfig[conversation.Signature]{Size: cfg.Prewarm, Interval: 2 * time.Second,
		Default: defaultSignature(cfg), MinIdle: cfg.PrewarmMinIdle}
	if cfg.MemoryBudget > 0 {
		pcfg.Admit = s.mem.roomForOne
	}
	s.pool = scheduler.NewPool(sched, pcfg, s.cli.spawnSpare, func(p *cliProcess) { _ = p.Close() }, log)
	if cfg.Prewarm > 0 {
		deps.Spares = spares{pool: s.pool}
	}
	if err := s.startCluster(deps); err != nil {
		s.pool.Close()
		killCancel()
		return nil, err
	}
	bgctx, stop := context.WithCancel(context.Background())
	s.stopBG = stop
	if !cfg.OwnerSweeps {
		s.bg.Add(1)
		go s.sweep(bgctx)
	}
	s.mem.budget = cfg.MemoryBudget
	s.bg.Add(1)
	go s.watchMemory(bgctx, 2*time.Second)
	return s, nil
}

func (s *System) startCluster(deps *conversation.Deps) error {
	host, port, err := s.cfg.Cluster.HostPort()
	if err != nil {
		return err
	}
	// protoactor logs whole messages (tenant text) at debug level: pass on warnings only.
	quiet := slog.New(telemetry.AtLeast(s.log.Handler(), slog.LevelWarn)).With("lib", "protoactor")
	s.sys = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return quiet }))
	// The lease owner is new at each start, like the member id: a restarted node never
	// mistakes a lease of its previous life (maybe still running elsewhere) for its own.
	lcfg := conversation.LeaseConfig{Owner: leaseOwner(s.cfg.Node, s.sys.ID), TTL: s.cfg.LeaseTTL, Renew: s.cfg.LeaseRenew}
	if s.cfg.Cluster.Clustered() {
		lcfg.Wait, lcfg.Verify = s.cfg.LeaseHandoverWait, true
	}
	s.lease = conversation.NewLeases(s.st, lcfg, s.log)
	deps.Leases = s.lease
	kind := pcluster.NewKind(conversation.Kind, conversation.Props(deps))
	tenants := pcluster.NewKind(tenant.Kind, tenant.Props(&tenant.Deps{
		Store: s.st, Policies: s.cfg.Policies, Log: s.log, IdleTTL: s.cfg.TenantIdleTTL,
		DefaultConcurrency: s.cfg.KeyDefaultConcurrency, // negative: none
		// A slot is held at most as long as a receiver lives (see Chat).
		HoldTTL: s.cfg.TurnTimeout*time.Duration(s.cfg.MaxPending+1) + time.Minute,
	}))
	var provider pcluster.ClusterProvider = cluster.NewSingleNode()
	var ropts []remote.ConfigOption
	if s.cfg.Cluster.Clustered() {
		if s.prov, err = s.newProvider(); err != nil {
			return err
		}
		provider = s.prov
		if adv := s.cfg.Cluster.AdvertiseHost(); adv != "" {
			ropts = append(ropts, remote.WithAdvertisedHost(net.JoinHostPort(adv, strconv.Itoa(port))))
		}
	}
	rcfg := remote.Configure(host, port, ropts...)
	// One retry: a dead member's endpoint is given up on quickly (RESEARCH.md:
	// recovery 1–2 s instead of 6 s with the default five retries).
	rcfg.MaxRetryCount = 1
	cfg := pcluster.Configure(s.cfg.Cluster.Name, provider, disthash.New(),
		rcfg, pcluster.WithKinds(kind, tenants), pcluster.WithRequestTimeout(requestTimeout))
	s.cl = pcluster.New(s.sys, cfg)
	// Subscribed before the member starts (its first topology) and before
	// protoactor's placement subscribes: a PID the placement hands out is never on a
	// member this node has not seen join.
	s.sys.EventStream.Subscribe(func(ev any) {
		if t, ok := ev.(*pcluster.ClusterTopology); ok {
			s.deaths.topology(t)
		}
	})
	// The admin actor is reached by name: it is there before the others hear of
	// this node.
	if err := s.spawnNodeActor(); err != nil {
		return fmt.Errorf("actors: start the admin actor: %w", err)
	}
	var startErr error
	func() {
		defer func() {
			if r := recover(); r != nil { // protoactor panics when it cannot listen
				startErr = fmt.Errorf("actors: start cluster: %v", r)
			}
		}()
		s.cl.StartMember()
	}()
	return startErr
}

// begin registers an in-flight turn unless shutdown has begun.
func (s *System) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return ErrShuttingDown
	}
	s.inflight.Add(1)
	return nil
}

// Shutdown stops new turns, lets in-flight ones finish (and record their usage)
// until ctx ends, then interrupts and kills the rest; finally it ends every CLI process (idle and
// prewarmed too) and the actor system.
func (s *System) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	// Leave first: the others stop placing grains here, and this node's
	// conversations move on as soon as their turns end and their leases go.
	s.Leave()
	s.view.close()
	s.stopBG()
	s.bg.Wait()
	done := make(chan struct{})
	go func() { s.inflight.Wait(); s.awaitGrainTurns(ctx); close(done) }()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		s.killCancel()
		select {
		case <-done:
			err = ctx.Err()
		case <-time.After(10 * time.Second):
			err = errors.New("actors: turns still running after kill")
		}
	}
	s.killCancel()
	s.pool.Close()
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.sched.Close(cctx)
	s.lease.Close() // every process is ended: another node may take over at once
	s.cl.Shutdown(false)
	if s.prov != nil {
		err = errors.Join(err, s.prov.Shutdown(false)) // left already (Leave above)
	}
	return err
}

// awaitGrainTurns waits until this node's grains run or queue no turn (in a
// cluster, turns of callers on other nodes), or ctx ends: a leaving node
// finishes what it runs before it ends its processes and releases its leases.
func (s *System) awaitGrainTurns(ctx context.Context) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		snap := s.sched.Snapshot()
		queued := 0
		for _, n := range snap.QueueByKey {
			queued += n
		}
		if snap.Busy == 0 && queued == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// spares hands prewarmed processes to new conversations of their signature.
type spares struct {
	pool *scheduler.Pool[conversation.Signature, *cliProcess]
}

func (p spares) Take(sig conversation.Signature) (string, conversation.Process, bool) {
	id, proc, ok := p.pool.Take(sig)
	if !ok {
		return "", nil, false
	}
	return id, proc, true
}

func (p spares) Refill() { p.pool.Refill() }

func defaultSignature(cfg Config) conversation.Signature {
	return conversation.SignatureOf(cfg.DefaultModel, "", 0, nil, nil, nil)
}
