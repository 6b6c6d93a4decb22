package cluster

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// NodeInfo is what a node publishes about itself besides its actor endpoint.
type NodeInfo struct {
	Node    string // the operator's node name
	HTTP    string // host:port of the node's HTTP listener
	Version string
}

// Provider is a protoactor ClusterProvider on hashicorp/memberlist. Each node is a
// memberlist member named by its actor system id (new at each start, since
// protoactor never lets a member id that left come back) whose metadata (Meta)
// carries the actor endpoint and kinds. On every membership change the provider
// hands protoactor's MemberList the full live set (alive and suspect members); a
// dead or departed member leaves it, and protoactor re-places its grains.
//
// Besides membership it carries the cluster's broadcasts (Broadcast, Handle) over
// memberlist's reliable (TCP) user messages, and reports membership events to
// subscribers (Subscribe), which is how a node's leases are taken over as soon as
// it is declared dead.
type Provider struct {
	cfg  Config
	info NodeInfo
	log  *slog.Logger

	mu       sync.Mutex
	ml       *memberlist.Memberlist
	c        *cluster.Cluster
	self     Meta
	meta     []byte
	nodes    map[string]*nodeRecord // by member id, departed ones kept for the admin view
	subs     []func(Event)
	handlers map[string]func(Message)
	leaving  map[string]time.Time // members that announced a graceful leave
	left     bool
	stopped  bool
	dead     bool // the others declared this node dead

	events chan Event     // membership events, applied in order by run
	inbox  chan Message   // broadcasts received, dispatched in order by dispatch
	kick   chan struct{}  // a topology refresh is due
	stop   chan struct{}  // closed at Shutdown
	wg     sync.WaitGroup // run, dispatch, join
	joined chan struct{}  // closed once a join succeeded (or none was asked)
	deadCh chan struct{}  // closed when the others declared this node dead
}

var _ cluster.ClusterProvider = (*Provider)(nil)

// EventType says what happened to a member.
type EventType int

// Membership events.
const (
	MemberJoined EventType = iota + 1
	MemberUpdated
	MemberLeft // a graceful leave
	MemberDead // declared dead by failure detection
)

func (t EventType) String() string {
	switch t {
	case MemberJoined:
		return "joined"
	case MemberUpdated:
		return "updated"
	case MemberLeft:
		return "left"
	case MemberDead:
		return "dead"
	}
	return "unknown"
}

// Event is one membership change of another member.
type Event struct {
	Type   EventType
	Member Meta
	At     time.Time
}

// Member states in the admin view.
const (
	StateAlive   = "alive"
	StateSuspect = "suspect"
	StateDead    = "dead"
	StateLeft    = "left"
)

// MemberStatus is one member as this node sees it.
type MemberStatus struct {
	Meta
	Gossip string // host:port of its memberlist endpoint
	State  string // alive, suspect, dead or left
	Since  time.Time
	Self   bool
}

type nodeRecord struct {
	meta   Meta
	gossip string
	state  string
	since  time.Time
}

// departedKept bounds how many dead or departed members the admin view remembers.
const departedKept = 32

// NewProvider checks cfg (whose Gossip must be set) and returns a provider that
// starts with the cluster (StartMember).
func NewProvider(cfg Config, info NodeInfo, log *slog.Logger) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if !cfg.Clustered() {
		return nil, errors.New("cluster: a memberlist provider needs a gossip address")
	}
	if cfg.JoinBackoffMax == 0 {
		cfg.JoinBackoffMax = 5 * time.Second
	}
	cfg.Failure = cfg.Failure.withDefaults()
	return &Provider{
		cfg: cfg, info: info, log: log,
		nodes: map[string]*nodeRecord{}, handlers: map[string]func(Message){}, leaving: map[string]time.Time{},
		events: make(chan Event, 1024), inbox: make(chan Message, 4096),
		kick: make(chan struct{}, 1), stop: make(chan struct{}), joined: make(chan struct{}), deadCh: make(chan struct{}),
	}, nil
}

// StartMember creates the memberlist member, publishes this node to protoactor and
// starts joining the configured nodes in the background (Joined reports success).
func (p *Provider) StartMember(c *cluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return fmt.Errorf("cluster: host and port: %w", err)
	}
	if p.cfg.Advertise != "" {
		if host, _, err = p.cfg.advertise(); err != nil {
			return err
		}
	}
	kinds := c.GetClusterKinds()
	slices.Sort(kinds)
	self := Meta{ID: c.ActorSystem.ID, Host: host, Port: port, Kinds: kinds, Node: p.info.Node,
		HTTP: p.info.HTTP, Version: p.info.Version, JoinedAt: time.Now()}
	meta, err := self.encode()
	if err != nil {
		return err
	}
	p.mu.Lock()
	p.c, p.self, p.meta = c, self, meta
	p.mu.Unlock()

	mc, err := p.memberlistConfig(self.ID)
	if err != nil {
		return err
	}
	ml, err := memberlist.Create(mc)
	if err != nil {
		return fmt.Errorf("cluster: gossip on %s: %w", p.cfg.Gossip, err)
	}
	p.mu.Lock()
	p.ml = ml
	p.nodes[self.ID] = &nodeRecord{meta: self, gossip: gossipAddr(ml), state: StateAlive, since: self.JoinedAt}
	p.mu.Unlock()
	p.wg.Add(2)
	go p.run()
	go p.dispatch()
	p.refresh()
	if len(p.cfg.Join) == 0 {
		close(p.joined)
	} else {
		p.wg.Add(1)
		go p.join()
	}
	p.log.Info("cluster member started", "gossip", ml.LocalNode().Address(), "member", self.ID, "actor", self.Address())
	return nil
}

func (p *Provider) memberlistConfig(name string) (*memberlist.Config, error) {
	mc := memberlist.DefaultLANConfig()
	mc.Name = name
	host, port, _ := splitPort(p.cfg.Gossip)
	mc.BindAddr, mc.BindPort = host, port
	mc.AdvertisePort = port
	if p.cfg.Advertise != "" {
		ah, ap, err := p.cfg.advertise()
		if err != nil {
			return nil, err
		}
		mc.AdvertiseAddr = ah
		if ap != 0 {
			mc.AdvertisePort = ap
		}
	}
	// The label is checked on every packet and stream: another cluster's gossip is
	// dropped, so nodes of another name never join.
	mc.Label = p.cfg.Name
	if p.cfg.Secret != "" {
		key := sha256.Sum256([]byte(p.cfg.Secret))
		mc.SecretKey = key[:]
	}
	f := p.cfg.Failure
	mc.ProbeInterval, mc.ProbeTimeout, mc.SuspicionMult, mc.GossipInterval = f.ProbeInterval, f.ProbeTimeout, f.SuspicionMult, f.GossipInterval
	mc.TCPTimeout = max(time.Second, 4*f.ProbeTimeout)
	mc.IndirectChecks = 2
	mc.PushPullInterval = 10 * time.Second
	mc.GossipToTheDeadTime = 10 * time.Second
	mc.Delegate = (*delegate)(p)
	mc.Events = (*delegate)(p)
	mc.Logger = log.New(memberlistLog{log: p.log, onDeclaredDead: p.declaredDead}, "", 0)
	return mc, nil
}

// join tries the configured nodes with exponential backoff until one answers.
func (p *Provider) join() {
	defer p.wg.Done()
	wait := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		p.mu.Lock()
		ml, left := p.ml, p.left
		p.mu.Unlock()
		if left {
			return
		}
		n, err := ml.Join(p.cfg.Join)
		if n > 0 {
			close(p.joined)
			p.log.Info("joined the cluster", "contacted", n, "members", ml.NumMembers())
			return
		}
		if attempt == 1 || attempt%10 == 0 {
			p.log.Warn("cannot join the cluster yet; retrying", "join", strings.Join(p.cfg.Join, ","), "attempt", attempt, "err", err)
		}
		select {
		case <-p.stop:
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, p.cfg.JoinBackoffMax)
	}
}

// Joined is closed once the node has joined one of the configured nodes (at once
// when none is configured).
func (p *Provider) Joined() <-chan struct{} { return p.joined }

// StartClient is not supported: every node is a member.
func (p *Provider) StartClient(*cluster.Cluster) error {
	return errors.New("cluster: the memberlist provider has no clients")
}

// Leave announces a graceful departure to the other members (they drop this node
// within about a gossip round) and withdraws the other members' grains' placement
// from this node. Grains this node still runs keep running until it stops; new
// requests go elsewhere. It is idempotent, and does nothing after Shutdown.
func (p *Provider) Leave(timeout time.Duration) error {
	p.mu.Lock()
	ml, already := p.ml, p.left || p.stopped // memberlist panics on a leave after its shutdown
	p.left = true
	p.mu.Unlock()
	if ml == nil || already {
		return nil
	}
	if err := p.Broadcast(topicLeaving, nil); err != nil {
		p.log.Warn("cluster: leave announcement incomplete; those members will see a death", "err", err)
	}
	if err := ml.Leave(timeout); err != nil {
		return fmt.Errorf("cluster: leave: %w", err)
	}
	return nil
}

// declaredDead notes that the others declared this node dead (memberlist refutes
// it, but protoactor never takes a member id back): the node no longer hosts
// grains the others can reach, its leases were taken over, and it has to start
// again under a new member id (serve does, in-process). /readyz reports it.
func (p *Provider) declaredDead() {
	p.mu.Lock()
	first := !p.dead
	p.dead = true
	p.mu.Unlock()
	if first {
		p.log.Error("the cluster declared this node dead (it was unresponsive): it rejoins under a new member id")
		close(p.deadCh)
	}
}

// Dead is closed when the others declared this node dead while it ran.
func (p *Provider) Dead() <-chan struct{} { return p.deadCh }

// DeclaredDead reports whether the others declared this node dead while it ran.
func (p *Provider) DeclaredDead() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.dead
}

// Leaving reports whether Leave was called.
func (p *Provider) Leaving() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.left
}

// Shutdown leaves the cluster when graceful (an abrupt stop leaves detection to
// the others) and stops gossiping. It is idempotent.
func (p *Provider) Shutdown(graceful bool) error {
	var err error
	if graceful {
		err = p.Leave(2 * time.Second)
	}
	p.mu.Lock()
	ml, stopped := p.ml, p.stopped
	p.stopped = true
	p.mu.Unlock()
	if ml == nil || stopped {
		return err
	}
	close(p.stop)
	err = errors.Join(err, ml.Shutdown())
	p.wg.Wait()
	return err
}

// Subscribe calls fn with every membership event of another member, in order, from
// one goroutine; fn must not block for long.
func (p *Provider) Subscribe(fn func(Event)) {
	p.mu.Lock()
	p.subs = append(p.subs, fn)
	p.mu.Unlock()
}

// Self is this node's metadata.
func (p *Provider) Self() Meta {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.self
}

// Members lists this node and every member it knows of, the dead and departed
// ones too (the most recent few), sorted by node name then id.
func (p *Provider) Members() []MemberStatus {
	p.mu.Lock()
	ml := p.ml
	self := p.self
	p.mu.Unlock()
	live := map[string]memberlist.NodeStateType{}
	if ml != nil {
		for _, n := range ml.Members() {
			live[n.Name] = n.State
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []MemberStatus
	for id, r := range p.nodes {
		st := r.state
		if s, ok := live[id]; ok && s == memberlist.StateSuspect && st == StateAlive {
			st = StateSuspect
		}
		out = append(out, MemberStatus{Meta: r.meta, Gossip: r.gossip, State: st, Since: r.since, Self: id == self.ID})
	}
	slices.SortFunc(out, func(a, b MemberStatus) int {
		if c := strings.Compare(a.Node, b.Node); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// enqueue hands a membership event to run; memberlist calls its delegates with
// its locks held, so nothing is done there.
func (p *Provider) enqueue(t EventType, n *memberlist.Node) {
	m, err := decodeMeta(n.Meta)
	if err != nil {
		p.log.Warn("cluster member without usable metadata ignored", "member", n.Name, "err", err)
		return
	}
	ev := Event{Type: t, Member: m, At: time.Now()}
	p.mu.Lock()
	// The gossip address is recorded now, while n is safe to read.
	if r := p.nodes[n.Name]; r == nil {
		p.nodes[n.Name] = &nodeRecord{meta: m, gossip: n.Address()}
	} else {
		r.gossip = n.Address()
	}
	p.mu.Unlock()
	select {
	case p.events <- ev:
	case <-p.stop:
	}
}

// run applies membership events in order: the admin table, then protoactor's
// member list, then the subscribers.
func (p *Provider) run() {
	defer p.wg.Done()
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
			p.publish()
		case ev := <-p.events:
			if p.revived(ev) {
				continue
			}
			p.record(ev)
			p.publish()
			p.mu.Lock()
			subs := slices.Clone(p.subs)
			p.mu.Unlock()
			for _, fn := range subs {
				fn(ev)
			}
		}
	}
}

// revived handles a member this node declared dead coming back alive under the
// same id (it refuted its death): it stays dead here, and it is told so, so that
// it starts again under a new id. It reports whether ev was such a return.
func (p *Provider) revived(ev Event) bool {
	if ev.Type != MemberJoined && ev.Type != MemberUpdated {
		return false
	}
	p.mu.Lock()
	r, ml := p.nodes[ev.Member.ID], p.ml
	dead := r != nil && r.state == StateDead
	self := p.self.ID
	p.mu.Unlock()
	if !dead || ml == nil {
		return false
	}
	msg, err := encodeMessage(topicDeclaredDead, self, nil)
	if err != nil {
		return true
	}
	for _, n := range ml.Members() {
		if n.Name == ev.Member.ID {
			go func() {
				if err := ml.SendReliable(n, msg); err != nil {
					p.log.Warn("cluster: could not tell a revived member it was declared dead", "member", ev.Member.ID, "err", err)
				}
			}()
		}
	}
	p.log.Info("a member declared dead came back under its old id; told it to rejoin under a new one", "member", ev.Member.ID, "node", ev.Member.Node)
	return true
}

func (p *Provider) record(ev Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.nodes[ev.Member.ID]
	if r == nil {
		r = &nodeRecord{}
		p.nodes[ev.Member.ID] = r
	}
	r.meta = ev.Member
	state := StateAlive
	switch ev.Type {
	case MemberLeft:
		state = StateLeft
	case MemberDead:
		state = StateDead
	}
	if r.state != state || r.since.IsZero() {
		r.state, r.since = state, ev.At
	}
	p.pruneDeparted()
}

// pruneDeparted keeps the most recent departedKept dead or departed members.
func (p *Provider) pruneDeparted() {
	var gone []string
	for id, r := range p.nodes {
		if r.state == StateDead || r.state == StateLeft {
			gone = append(gone, id)
		}
	}
	if len(gone) <= departedKept {
		return
	}
	slices.SortFunc(gone, func(a, b string) int { return p.nodes[a].since.Compare(p.nodes[b].since) })
	for _, id := range gone[:len(gone)-departedKept] {
		delete(p.nodes, id)
	}
}

// refresh asks run to publish the topology again.
func (p *Provider) refresh() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// publish hands protoactor the full live set: this node and every member memberlist
// counts alive or suspect (a suspect may still refute; grains move only on death).
func (p *Provider) publish() {
	p.mu.Lock()
	ml, c, self := p.ml, p.c, p.self
	p.mu.Unlock()
	if ml == nil || c == nil {
		return
	}
	members := cluster.Members{{Id: self.ID, Host: self.Host, Port: int32(self.Port), Kinds: self.Kinds}}
	for _, n := range ml.Members() {
		if n.Name == self.ID {
			continue
		}
		m, err := decodeMeta(n.Meta)
		if err != nil {
			continue
		}
		members = append(members, &cluster.Member{Id: m.ID, Host: m.Host, Port: int32(m.Port), Kinds: m.Kinds})
	}
	c.MemberList.UpdateClusterTopology(members)
}

// memberlistLog passes memberlist's warnings and errors on (its debug and info
// lines, one per probe and join, are dropped).
type memberlistLog struct {
	log            *slog.Logger
	onDeclaredDead func()
}

func (w memberlistLog) Write(b []byte) (int, error) {
	s := strings.TrimSpace(string(b))
	if strings.Contains(s, "Refuting a dead message") && w.onDeclaredDead != nil {
		w.onDeclaredDead()
	}
	switch {
	case strings.Contains(s, "[ERR]"):
		w.log.Error("memberlist: " + s)
	case strings.Contains(s, "[WARN]"):
		w.log.Warn("memberlist: " + s)
	}
	return len(b), nil
}

var _ io.Writer = memberlistLog{}

// gossipAddr resolves host:port for tests and the admin view.
func gossipAddr(ml *memberlist.Memberlist) string {
	if ml == nil {
		return ""
	}
	n := ml.LocalNode()
	return net.JoinHostPort(n.Addr.String(), fmt.Sprint(n.Port))
}

// GossipAddr is the address this node gossips on (with the port chosen when the
// configured one was 0).
func (p *Provider) GossipAddr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return gossipAddr(p.ml)
}

// waitJoined waits until Joined or ctx ends.
func (p *Provider) waitJoined(ctx context.Context) error {
	select {
	case <-p.joined:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
