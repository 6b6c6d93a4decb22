package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/usage"
)

// The admin view of the cluster. Each node runs one admin actor, named
// nodeActorName, that the others reach at its actor endpoint: it answers their
// questions about its CLI processes (NodeStatusRequest) and sends them the
// request events recorded on it while they subscribe (FeedSubscribe, FeedEvent).
//
// The event feed is pushed, bounded at both ends, and only while someone
// watches: a node with admins on GET /admin/events subscribes to every live
// member's events for feedTTL, renewing every feedRenew (and at once when a
// member joins) until its last admin leaves. A subscribed node reads its own
// usage writer through a bounded subscription (feedBuffer events; what does not
// fit is counted and reported as missed, never waited for) and sends each event,
// one small message, to the subscribers' admin actors. On the receiving node the
// events go to a hub whose subscribers (the admins' streams) are bounded too. A
// turn never waits on any of it.

// nodeActorName is the name of every node's admin actor.
const nodeActorName = "ccgateway-node"

const (
	// feedTTL is how long a node sends its events to a subscriber that stopped
	// renewing (a crashed node, or one whose admins left without a word).
	feedTTL = 15 * time.Second
	// feedRenew is how often a node with admins connected renews its subscriptions.
	feedRenew = 5 * time.Second
	// feedBuffer bounds the events waiting to be sent to the subscribed nodes.
	feedBuffer = 1024
	// subscribeWait bounds how long a subscription waits for a member's answer.
	subscribeWait = time.Second
)

// EventSource is this node's feed of finished requests (the usage writer).
type EventSource interface {
	Subscribe(buf int) *usage.Subscription
}

// ErrMemberNotLive is a member's status error when it is dead or has left: it is
// not asked.
var ErrMemberNotLive = errors.New("actors: the member is dead or has left")

// clusterView is the state of this node's part in the admin view.
type clusterView struct {
	in   usage.Hub     // the other nodes' events, for this node's admins
	done chan struct{} // closed at Shutdown
	stop sync.Once
	kick chan struct{} // a member joined: renew the subscriptions now
	// renewEvery is feedRenew (shorter in tests).
	renewEvery time.Duration

	mu         sync.Mutex
	src        EventSource
	out        map[string]feedTarget // nodes subscribed to this node's events, by PID
	forwarding bool                  // the forwarder runs
	renewing   bool                  // the renewer runs
	ready      chan struct{}         // closed when the renewer's first round is done
}

type feedTarget struct {
	pid   *actor.PID
	until time.Time
}

func newClusterView() *clusterView {
	return &clusterView{done: make(chan struct{}), kick: make(chan struct{}, 1), out: map[string]feedTarget{}, renewEvery: feedRenew}
}

func (v *clusterView) close() { v.stop.Do(func() { close(v.done) }) }

// nodeActor is this node's admin actor.
type nodeActor struct{ s *System }

func (a nodeActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *messages.NodeStatusRequest:
		c.Respond(nodeStatusMessage(a.s.cfg.Node, a.s.ProcessStatus()))
	case *messages.FeedSubscribe:
		a.s.feedSubscribe(m)
		c.Respond(&messages.FeedSubscribed{})
	case *messages.FeedEvent:
		if m.Missed > 0 {
			a.s.view.in.AddMissed(m.Missed)
		}
		ev := usageEvent(m)
		a.s.view.in.Publish(&ev)
	}
}

// spawnNodeActor starts the admin actor; it is reached by name, so it is spawned
// before the node joins (its PID's address is the endpoint's once that starts).
func (s *System) spawnNodeActor() error {
	_, err := s.sys.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return nodeActor{s} }), nodeActorName)
	return err
}

// nodePID is the admin actor of the member at addr.
func nodePID(addr string) *actor.PID { return actor.NewPID(addr, nodeActorName) }

// NodeProcessStatus is one member's process table, or why it is not known.
type NodeProcessStatus struct {
	Member cluster.MemberStatus
	Status ProcessStatus // when Err is nil
	Err    error
	Took   time.Duration // how long the member took to answer (or not)
}

// ClusterProcessStatus asks every live member (alive or suspect) for its process
// table, all at once, and waits for each at most timeout (and ctx); this node
// answers from its own. Dead and departed members are listed with
// ErrMemberNotLive, one that does not answer in time with its error. On a single
// node it is this node's table.
func (s *System) ClusterProcessStatus(ctx context.Context, timeout time.Duration) []NodeProcessStatus {
	members := s.Members()
	out := make([]NodeProcessStatus, len(members))
	var wg sync.WaitGroup
	for i, m := range members {
		out[i].Member = m
		switch {
		case m.Self:
			out[i].Status = s.ProcessStatus()
		case m.State != cluster.StateAlive && m.State != cluster.StateSuspect:
			out[i].Err = ErrMemberNotLive
		default:
			wg.Go(func() {
				start := time.Now()
				out[i].Status, out[i].Err = s.askNodeStatus(ctx, m, timeout)
				out[i].Took = time.Since(start)
			})
		}
	}
	wg.Wait()
	return out
}

func (s *System) askNodeStatus(ctx context.Context, m cluster.MemberStatus, timeout time.Duration) (ProcessStatus, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := s.try(ctx, nodePID(m.Address()), &messages.NodeStatusRequest{})
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ProcessStatus{}, fmt.Errorf("no answer within %s", timeout)
	case errors.Is(err, errDeadLetter):
		return ProcessStatus{}, errors.New("its admin actor is not there (a version without it, or stopping)")
	case err != nil:
		return ProcessStatus{}, err
	}
	st, ok := res.(*messages.NodeStatus)
	if !ok {
		return ProcessStatus{}, fmt.Errorf("unexpected answer %T", res)
	}
	return processStatusOf(st), nil
}

func nodeStatusMessage(node string, st ProcessStatus) *messages.NodeStatus {
	m := &messages.NodeStatus{Node: node, QueueByKey: map[string]int64{}, Busy: int64(st.Busy),
		MaxProcesses: int64(st.MaxProcesses), MaxBusy: int64(st.MaxBusy), MaxQueue: int64(st.MaxQueue),
		TotalRssBytes: st.TotalRSSBytes, MemoryBudgetBytes: st.MemoryBudgetBytes}
	for k, n := range st.QueueByKey {
		m.QueueByKey[k] = int64(n)
	}
	for _, p := range st.Processes {
		m.Processes = append(m.Processes, &messages.NodeProcess{Pid: int64(p.PID), ConversationId: p.ConversationID,
			ApiKeyId: p.APIKeyID, State: p.State, RssBytes: p.RSSBytes, StartedUnixMs: unixMS(p.StartedAt),
			LastUsedUnixMs: unixMS(p.LastUsed), Turns: int64(p.Turns)})
	}
	return m
}

func processStatusOf(m *messages.NodeStatus) ProcessStatus {
	st := ProcessStatus{QueueByKey: map[string]int{}, Busy: int(m.Busy), MaxProcesses: int(m.MaxProcesses),
		MaxBusy: int(m.MaxBusy), MaxQueue: int(m.MaxQueue), TotalRSSBytes: m.TotalRssBytes,
		MemoryBudgetBytes: m.MemoryBudgetBytes, Processes: make([]ProcessInfo, 0, len(m.Processes))}
	for k, n := range m.QueueByKey {
		st.QueueByKey[k] = int(n)
	}
	for _, p := range m.Processes {
		st.Processes = append(st.Processes, ProcessInfo{PID: int(p.Pid), ConversationID: p.ConversationId,
			APIKeyID: p.ApiKeyId, State: p.State, RSSBytes: p.RssBytes, StartedAt: fromUnixMS(p.StartedUnixMs),
			LastUsed: fromUnixMS(p.LastUsedUnixMs), Turns: int(p.Turns)})
	}
	return st
}

func unixMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromUnixMS(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms)
}

// ShareEvents makes this node's finished requests (src, the usage writer) visible
// to the admins of the other nodes, while they watch (a no-op on a single node).
// Call it once, before the node serves.
func (s *System) ShareEvents(src EventSource) {
	if s.prov == nil || src == nil {
		return
	}
	s.view.mu.Lock()
	s.view.src = src
	s.view.mu.Unlock()
}

// feedSubscribe records (or ends, with a zero TTL) another node's subscription to
// this node's events, and starts the forwarder if it is not running. The
// forwarder's own subscription is taken here, so that every event recorded after
// the subscriber's answer reaches it.
func (s *System) feedSubscribe(m *messages.FeedSubscribe) {
	if m.Subscriber == nil || m.Subscriber.Address == "" || m.Subscriber.Id == "" {
		return
	}
	pid := actor.NewPID(m.Subscriber.Address, m.Subscriber.Id)
	v := s.view
	v.mu.Lock()
	defer v.mu.Unlock()
	if m.TtlMs <= 0 {
		delete(v.out, pid.String())
		return
	}
	v.out[pid.String()] = feedTarget{pid: pid, until: time.Now().Add(time.Duration(min(m.TtlMs, feedTTL.Milliseconds())) * time.Millisecond)}
	if !v.forwarding && v.src != nil {
		v.forwarding = true
		go s.forward(v.src.Subscribe(feedBuffer))
	}
}

// forget ends the subscription of the member at addr (it died or left).
func (v *clusterView) forget(addr string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	for k, t := range v.out {
		if t.pid.Address == addr {
			delete(v.out, k)
		}
	}
}

// feedTargets lists the subscribed nodes, dropping those whose subscription
// lapsed; when none is left it stops the forwarder (returns nil).
func (v *clusterView) feedTargets(now time.Time) []*actor.PID {
	v.mu.Lock()
	defer v.mu.Unlock()
	var pids []*actor.PID
	for k, t := range v.out {
		if now.After(t.until) {
			delete(v.out, k)
			continue
		}
		pids = append(pids, t.pid)
	}
	if len(pids) == 0 {
		v.forwarding = false
	}
	return pids
}

// forward sends this node's events to the subscribed nodes until none is left.
func (s *System) forward(sub *usage.Subscription) {
	defer sub.Close()
	v := s.view
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var reported int64
	for {
		select {
		case <-v.done:
			return
		case ev, ok := <-sub.C:
			if !ok { // the writer closed
				v.mu.Lock()
				v.forwarding = false
				v.mu.Unlock()
				return
			}
			targets := v.feedTargets(time.Now())
			if targets == nil { // no subscriber left
				return
			}
			msg := feedEvent(&ev)
			if m := sub.Missed(); m > reported {
				msg.Missed, reported = m-reported, m
			}
			for _, pid := range targets {
				s.sys.Root.Send(pid, msg)
			}
		case <-tick.C:
			if v.feedTargets(time.Now()) == nil {
				return
			}
		}
	}
}

// ClusterEvents starts a live feed of the request events recorded on the other
// members (this node's own are the usage writer's), with room for buf events;
// call Close when done. It returns once every live member has confirmed the
// subscription (or failed to within a second): the events recorded there from
// then on reach the feed. nil on a single node.
func (s *System) ClusterEvents(ctx context.Context, buf int) *usage.Subscription {
	if s.prov == nil {
		return nil
	}
	v := s.view
	sub := v.in.Subscribe(buf)
	v.mu.Lock()
	if !v.renewing {
		v.renewing, v.ready = true, make(chan struct{})
		go s.renewFeeds(v.ready)
	}
	ready := v.ready
	v.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
	case <-v.done:
	}
	return sub
}

// renewFeeds keeps this node subscribed to every live member's events while it
// has admins watching, and ends the subscriptions when the last one leaves.
func (s *System) renewFeeds(ready chan struct{}) {
	v := s.view
	tick := time.NewTicker(v.renewEvery)
	defer tick.Stop()
	s.subscribeFeeds()
	close(ready)
	for {
		select {
		case <-v.done:
			return
		case <-tick.C:
		case <-v.kick:
		}
		v.mu.Lock()
		if v.in.Subscribers() == 0 {
			v.renewing = false
			// Sent under the lock: a renewer started after this one subscribes
			// after these reach the endpoints.
			for _, m := range s.Members() {
				if !m.Self && (m.State == cluster.StateAlive || m.State == cluster.StateSuspect) {
					s.sys.Root.Send(nodePID(m.Address()), &messages.FeedSubscribe{Subscriber: s.nodeReceiver(), TtlMs: 0})
				}
			}
			v.mu.Unlock()
			return
		}
		v.mu.Unlock()
		s.subscribeFeeds()
	}
}

// subscribeFeeds subscribes this node to every live member's events, all at once,
// waiting for each at most subscribeWait.
func (s *System) subscribeFeeds() {
	var wg sync.WaitGroup
	for _, m := range s.Members() {
		if m.Self || (m.State != cluster.StateAlive && m.State != cluster.StateSuspect) {
			continue
		}
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), subscribeWait)
			defer cancel()
			msg := &messages.FeedSubscribe{Subscriber: s.nodeReceiver(), TtlMs: feedTTL.Milliseconds()}
			if _, err := s.try(ctx, nodePID(m.Address()), msg); err != nil {
				s.log.Debug("cluster event feed: a member did not take the subscription", "node", m.Node, "member", m.ID, "err", err)
			}
		})
	}
	wg.Wait()
}

// renewFeedsNow renews the subscriptions at once (a member joined).
func (s *System) renewFeedsNow() {
	select {
	case s.view.kick <- struct{}{}:
	default:
	}
}

func (s *System) nodeReceiver() *messages.Receiver {
	return &messages.Receiver{Address: s.sys.Address(), Id: nodeActorName}
}

func feedEvent(e *store.UsageEvent) *messages.FeedEvent {
	return &messages.FeedEvent{ApiKeyId: e.APIKeyID, TimestampUnixUs: e.Timestamp.UnixMicro(), Endpoint: e.Endpoint,
		Method: e.Method, RequestTokens: e.RequestTokens, ResponseTokens: e.ResponseTokens, TotalTokens: e.TotalTokens,
		CacheReadInputTokens: e.CacheReadInputTokens, CacheCreationInputTokens: e.CacheCreationInputTokens,
		CostUsd: e.CostUSD, ResponseTimeMs: e.ResponseTimeMS, TtftMs: e.TTFTMS, StatusCode: int64(e.StatusCode),
		Model: e.Model, Error: e.Error, ConversationId: e.ConversationID, RequestId: e.RequestID, Node: e.Node,
		Admitted: e.Admitted}
}

func usageEvent(m *messages.FeedEvent) store.UsageEvent {
	return store.UsageEvent{APIKeyID: m.ApiKeyId, Timestamp: time.UnixMicro(m.TimestampUnixUs), Endpoint: m.Endpoint,
		Method: m.Method, RequestTokens: m.RequestTokens, ResponseTokens: m.ResponseTokens, TotalTokens: m.TotalTokens,
		CacheReadInputTokens: m.CacheReadInputTokens, CacheCreationInputTokens: m.CacheCreationInputTokens,
		CostUSD: m.CostUsd, ResponseTimeMS: m.ResponseTimeMs, TTFTMS: m.TtftMs, StatusCode: int(m.StatusCode),
		Model: m.Model, Error: m.Error, ConversationID: m.ConversationId, RequestID: m.RequestId, Node: m.Node,
		Admitted: m.Admitted}
}
