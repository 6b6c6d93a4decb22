package actors

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ccgateway/ccgateway/cluster"
)

// leaseOwner is the lease owner of a node: its name and its actor system id, new
// at each start, so that a restarted node never takes a lease of its previous life
// for its own.
func leaseOwner(node, memberID string) string { return node + "/" + memberID }

func (s *System) newProvider() (*cluster.Provider, error) {
	p, err := cluster.NewProvider(s.cfg.Cluster, cluster.NodeInfo{Node: s.cfg.Node, HTTP: s.cfg.HTTPAddr, Version: s.cfg.Version}, s.log)
	if err != nil {
		return nil, err
	}
	p.Subscribe(s.onMemberEvent)
	return p, nil
}

// onMemberEvent takes over the leases of a member declared dead, so its
// conversations resume on other nodes at once instead of after the lease TTL, and
// abandons the grain calls waiting on it (they are sent again to a survivor).
// Every node does it (the store statement is idempotent): whoever sees the death
// first frees the leases. A member that left gracefully releases its own.
func (s *System) onMemberEvent(ev cluster.Event) {
	switch ev.Type {
	case cluster.MemberJoined:
		s.renewFeedsNow() // admins watching the cluster's events see the newcomer's
	case cluster.MemberDead, cluster.MemberLeft:
		s.view.forget(ev.Member.Address()) // no more events to it
	}
	if ev.Type != cluster.MemberDead {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	owner := leaseOwner(ev.Member.Node, ev.Member.ID)
	n, err := s.st.TakeOverLeases(ctx, owner)
	// Then the grain calls waiting on the dead member move on: protoactor's
	// topology dropped it already (the provider publishes it before telling its
	// subscribers), so they resolve to a survivor, whose lease is free by now.
	s.deaths.died(ev.Member.Address())
	if err != nil {
		s.log.Warn("cannot take over a dead member's leases; they lapse after their TTL", "member", ev.Member.ID, "node", ev.Member.Node, "err", err)
		return
	}
	s.log.Info("cluster member dead; its leases taken over", "member", ev.Member.ID, "node", ev.Member.Node, "leases", n)
}

// Clustered reports whether this node is part of a memberlist cluster.
func (s *System) Clustered() bool { return s.prov != nil }

// MemberID is this node's member id (its actor system id).
func (s *System) MemberID() string { return s.sys.ID }

// Members lists the cluster's members as this node sees them; a single node lists
// itself.
func (s *System) Members() []cluster.MemberStatus {
	if s.prov != nil {
		return s.prov.Members()
	}
	host, port, _ := s.sys.GetHostPort()
	return []cluster.MemberStatus{{
		Meta: cluster.Meta{ID: s.sys.ID, Host: host, Port: port, Kinds: s.cl.GetClusterKinds(), Node: s.cfg.Node,
			HTTP: s.cfg.HTTPAddr, Version: s.cfg.Version, JoinedAt: s.started},
		State: cluster.StateAlive, Since: s.started, Self: true,
	}}
}

// Broadcast sends payload under topic to every other member (a no-op on a single
// node). Receivers have a store fallback for a missed message.
func (s *System) Broadcast(topic string, payload []byte) error {
	if s.prov == nil {
		return nil
	}
	return s.prov.Broadcast(topic, payload)
}

// HandleBroadcast registers fn for other members' broadcasts of topic.
func (s *System) HandleBroadcast(topic string, fn func(payload []byte)) {
	if s.prov != nil {
		s.prov.Handle(topic, func(m cluster.Message) { fn(m.Payload) })
	}
}

// Leave announces this node's departure to the cluster (a no-op on a single node
// or when done already). Shutdown calls it first.
func (s *System) Leave() {
	if s.prov == nil {
		return
	}
	if err := s.prov.Leave(2 * time.Second); err != nil {
		s.log.Warn("cluster leave", "err", err)
	}
}

// DeclaredDead is closed when the cluster declared this node dead (it stopped
// answering for longer than failure detection allows, a paused VM say): the node
// must start again under a new member id. Nil on a single node (never closed).
func (s *System) DeclaredDead() <-chan struct{} {
	if s.prov == nil {
		return nil
	}
	return s.prov.Dead()
}

// ClusterReady is /readyz's cluster check: nil on a single node; in a cluster an
// error while the node has not joined any of its cluster-join nodes yet, or once
// it is leaving.
func (s *System) ClusterReady(context.Context) error {
	if s.prov == nil {
		return nil
	}
	if s.prov.Leaving() {
		return errors.New("this node is leaving the cluster")
	}
	if s.prov.DeclaredDead() {
		return errors.New("the cluster declared this node dead (it was unresponsive); it is rejoining under a new member id")
	}
	select {
	case <-s.prov.Joined():
		return nil
	default:
		return fmt.Errorf("not joined yet: none of cluster-join %s answers", strings.Join(s.cfg.Cluster.Join, ","))
	}
}
