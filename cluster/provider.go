package cluster

import (
	"errors"
	"fmt"
	"sync"

	"github.com/asynkron/protoactor-go/cluster"
)

// SingleNode is a ClusterProvider whose cluster is this node alone. It publishes one
// member (the actor system's id, which is new at each start, so a restarted node is
// never mistaken for a blocked one) with every kind the node hosts.
type SingleNode struct {
	mu sync.Mutex
	c  *cluster.Cluster
}

var _ cluster.ClusterProvider = (*SingleNode)(nil)

// NewSingleNode returns a provider for a one-node cluster.
func NewSingleNode() *SingleNode { return &SingleNode{} }

// StartMember publishes this node as the only member.
func (p *SingleNode) StartMember(c *cluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return fmt.Errorf("cluster: host and port: %w", err)
	}
	p.mu.Lock()
	p.c = c
	p.mu.Unlock()
	c.MemberList.UpdateClusterTopology(cluster.Members{{
		Id: c.ActorSystem.ID, Host: host, Port: int32(port), Kinds: c.GetClusterKinds(),
	}})
	return nil
}

// StartClient is not supported: a single node is always a member.
func (p *SingleNode) StartClient(*cluster.Cluster) error {
	return errors.New("cluster: a single-node cluster has no clients")
}

// Shutdown withdraws the member on a graceful stop.
func (p *SingleNode) Shutdown(graceful bool) error {
	p.mu.Lock()
	c := p.c
	p.c = nil
	p.mu.Unlock()
	if c != nil && graceful {
		c.MemberList.UpdateClusterTopology(cluster.Members{})
	}
	return nil
}
