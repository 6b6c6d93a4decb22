package admin

import (
	"context"
	"errors"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
)

// memberDeadline bounds how long the cluster views (GET /admin/processes, GET
// /admin/cluster) wait for each other member's answer.
const memberDeadline = time.Second

// ProcessEntry is one live Claude CLI process of the cluster.
type ProcessEntry struct {
	Node           string    `json:"node" doc:"The node the process runs on (its node-name)" example:"node-a"`
	PID            int       `json:"pid" doc:"Process id on that node's host"`
	ConversationID string    `json:"conversation_id,omitempty" doc:"Empty for a prewarmed spare"`
	APIKeyID       string    `json:"api_key_id,omitempty"`
	State          string    `json:"state" enum:"busy,idle,prewarmed"`
	RSSBytes       int64     `json:"rss_bytes"`
	StartedAt      time.Time `json:"started_at"`
	LastUsedAt     time.Time `json:"last_used_at"`
	Turns          int       `json:"turns"`
}

// QueueEntry is how many turns of one key wait for a process.
type QueueEntry struct {
	APIKeyID string `json:"api_key_id"`
	Waiting  int    `json:"waiting"`
}

// NodeProcesses is one member's part of the process table: its totals, or why
// they are not known.
type NodeProcesses struct {
	Node     string `json:"node" doc:"The member's node-name" example:"node-b"`
	MemberID string `json:"member_id" doc:"The member id (actor system id, new at each start)"`
	Self     bool   `json:"self" doc:"The node that answered"`
	Status   string `json:"status" enum:"ok,unavailable" doc:"ok: its processes are listed; unavailable: it did not answer within the deadline (1 s) or failed (see error), and its processes are missing from the lists and totals"`
	Error    string `json:"error,omitempty" doc:"Why the member is unavailable" example:"no answer within 1s"`
	// ResponseTimeMS is how long the member took to answer (0 for the node that answered).
	ResponseTimeMS    int64 `json:"response_time_ms" doc:"How long the member took to answer (or to fail); 0 for the node that answered"`
	Processes         int   `json:"processes" doc:"Live CLI processes (0 when unavailable)"`
	Busy              int   `json:"busy" doc:"Processes running a turn"`
	Queued            int   `json:"queued" doc:"Turns waiting for a process on that node"`
	MaxProcesses      int   `json:"max_processes"`
	MaxBusy           int   `json:"max_busy"`
	MaxQueue          int   `json:"max_queue"`
	TotalRSSBytes     int64 `json:"total_rss_bytes"`
	MemoryBudgetBytes int64 `json:"memory_budget_bytes"`
}

// ProcessStatus is the cluster's CLI process table and queue: every live member's
// (a single node's when it runs alone).
type ProcessStatus struct {
	Node      string          `json:"node" doc:"The node that answered (node-name)"`
	Processes []ProcessEntry  `json:"processes" nullable:"false" doc:"The live CLI processes of every member that answered, each with its node"`
	Queue     []QueueEntry    `json:"queue" nullable:"false" doc:"Turns waiting for a process, by API key, summed over the members that answered"`
	Nodes     []NodeProcesses `json:"nodes" nullable:"false" doc:"Every live member (alive or suspect): its totals, or that it did not answer"`
	// The totals are summed over the members that answered.
	Busy         int `json:"busy" doc:"Processes running a turn, over the members that answered"`
	MaxProcesses int `json:"max_processes" doc:"Sum of the answering members' max-processes"`
	MaxBusy      int `json:"max_busy" doc:"Sum of the answering members' concurrent-turn caps"`
	MaxQueue     int `json:"max_queue" doc:"Sum of the answering members' queue caps"`
	// TotalRSSBytes and MemoryBudgetBytes show the memory budget at work.
	TotalRSSBytes     int64 `json:"total_rss_bytes" doc:"Sum of the listed processes' resident memory"`
	MemoryBudgetBytes int64 `json:"memory_budget_bytes" doc:"Sum of the answering members' cli-memory-budget: each node ends idle processes to keep its own total within its budget (0 = none)"`
}

type processesOutput struct{ Body ProcessStatus }

func registerProcesses(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-list-processes", Method: http.MethodGet, Path: "/admin/processes",
		Summary: "List CLI processes and the queue", Tags: []string{"admin"}, Security: api.AdminSecurity, Errors: []int{401, 403},
		Description: "The live Claude CLI processes (busy, idle or prewarmed) of every node of the cluster, each with its node, RSS, " +
			"start time and turns served, and the turns waiting for a process, by API key; totals over the cluster, and per node in `nodes`. " +
			"The answering node asks every other live member and waits at most 1 s for each: a member that does not answer in time is " +
			"listed in `nodes` as unavailable (with the error), and its processes are missing, rather than failing the call.",
	}, func(ctx context.Context, _ *struct{}) (*processesOutput, error) {
		out := ProcessStatus{Node: s.Config.NodeName, Processes: []ProcessEntry{}, Queue: []QueueEntry{}, Nodes: []NodeProcesses{}}
		queue := map[string]int{}
		for _, n := range s.Actors.ClusterProcessStatus(ctx, memberDeadline) {
			if errors.Is(n.Err, actors.ErrMemberNotLive) {
				continue
			}
			node := n.Member.Node
			if n.Member.Self {
				node = s.Config.NodeName
			}
			np := nodeProcesses(node, n)
			out.Nodes = append(out.Nodes, np)
			if n.Err != nil {
				continue
			}
			st := n.Status
			for _, p := range st.Processes {
				out.Processes = append(out.Processes, ProcessEntry{Node: node, PID: p.PID, ConversationID: p.ConversationID, APIKeyID: p.APIKeyID,
					State: p.State, RSSBytes: p.RSSBytes, StartedAt: p.StartedAt, LastUsedAt: p.LastUsed, Turns: p.Turns})
			}
			for k, w := range st.QueueByKey {
				queue[k] += w
			}
			out.Busy += st.Busy
			out.MaxProcesses += st.MaxProcesses
			out.MaxBusy += st.MaxBusy
			out.MaxQueue += st.MaxQueue
			out.TotalRSSBytes += st.TotalRSSBytes
			out.MemoryBudgetBytes += st.MemoryBudgetBytes
		}
		for k, w := range queue {
			out.Queue = append(out.Queue, QueueEntry{APIKeyID: k, Waiting: w})
		}
		sort.Slice(out.Queue, func(i, j int) bool { return out.Queue[i].APIKeyID < out.Queue[j].APIKeyID })
		return &processesOutput{Body: out}, nil
	})
}

// nodeProcesses summarizes one member's answer.
func nodeProcesses(node string, n actors.NodeProcessStatus) NodeProcesses {
	np := NodeProcesses{Node: node, MemberID: n.Member.ID, Self: n.Member.Self, Status: "ok", ResponseTimeMS: n.Took.Milliseconds()}
	if n.Err != nil {
		np.Status, np.Error = "unavailable", n.Err.Error()
		return np
	}
	st := n.Status
	np.Processes, np.Busy, np.MaxProcesses, np.MaxBusy, np.MaxQueue = len(st.Processes), st.Busy, st.MaxProcesses, st.MaxBusy, st.MaxQueue
	np.TotalRSSBytes, np.MemoryBudgetBytes = st.TotalRSSBytes, st.MemoryBudgetBytes
	for _, w := range st.QueueByKey {
		np.Queued += w
	}
	return np
}
