package admin

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

// ClusterMember is one node of the cluster as the answering node sees it.
type ClusterMember struct {
	ID           string    `json:"id" doc:"Member id: the node's actor system id, new at each start"`
	Node         string    `json:"node" doc:"The node's name (node-name setting)" example:"node-a"`
	ActorAddress string    `json:"actor_address" doc:"host:port of the node's actor endpoint" example:"10.0.0.1:7947"`
	GossipAddr   string    `json:"gossip_address,omitempty" doc:"host:port the node gossips on; empty on a single node" example:"10.0.0.1:7946"`
	HTTPAddress  string    `json:"http_address,omitempty" doc:"host:port of the node's HTTP listener" example:"10.0.0.1:8080"`
	Status       string    `json:"status" enum:"alive,suspect,dead,left"`
	Version      string    `json:"version,omitempty"`
	JoinedAt     time.Time `json:"joined_at" doc:"When the node started"`
	Since        time.Time `json:"since" doc:"When this node last saw the status change"`
	Self         bool      `json:"self" doc:"The node that answered"`
	// Live counts, asked of the member itself; null when it was not asked (dead or
	// departed) or did not answer in time (StatsError says why).
	Processes  *int   `json:"processes" doc:"Its live CLI processes; null when unknown (the member is dead, has left, or did not answer within 1 s)"`
	Busy       *int   `json:"busy" doc:"Its processes running a turn; null when unknown"`
	Queued     *int   `json:"queued" doc:"Turns waiting for a process on it; null when unknown"`
	StatsError string `json:"stats_error,omitempty" doc:"Why the counts are unknown" example:"no answer within 1s"`
}

// ClusterStatus is GET /admin/cluster's body.
type ClusterStatus struct {
	Clustered bool            `json:"clustered" doc:"False when the node runs alone (no cluster-gossip)"`
	Members   []ClusterMember `json:"members" nullable:"false" doc:"This node and every member it knows of, recent dead and departed ones included"`
}

type clusterOutput struct{ Body ClusterStatus }

func registerAdminCluster(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-get-cluster", Method: http.MethodGet, Path: "/admin/cluster",
		Summary: "Show the cluster's members", Tags: []string{"admin"}, Security: api.AdminSecurity, Errors: []int{401, 403},
		Description: "The cluster's members as the answering node sees them: name, addresses, status (alive, suspect, dead, left), version and when each joined, " +
			"and each live member's CLI processes, busy processes and queued turns, asked of the member (at most 1 s each, all at once): " +
			"null when a member is dead, has left or does not answer in time.",
	}, func(ctx context.Context, _ *struct{}) (*clusterOutput, error) {
		out := ClusterStatus{Clustered: s.Actors.Clustered(), Members: []ClusterMember{}}
		for _, n := range s.Actors.ClusterProcessStatus(ctx, memberDeadline) {
			m := n.Member
			cm := ClusterMember{ID: m.ID, Node: m.Node, ActorAddress: m.Address(), GossipAddr: m.Gossip,
				HTTPAddress: m.HTTP, Status: m.State, Version: m.Version, JoinedAt: m.JoinedAt, Since: m.Since, Self: m.Self}
			switch {
			case errors.Is(n.Err, actors.ErrMemberNotLive):
				cm.StatsError = "not asked: the member is " + m.State
			case n.Err != nil:
				cm.StatsError = n.Err.Error()
			default:
				np := nodeProcesses(m.Node, n)
				cm.Processes, cm.Busy, cm.Queued = &np.Processes, &np.Busy, &np.Queued
			}
			out.Members = append(out.Members, cm)
		}
		return &clusterOutput{Body: out}, nil
	})
}
