package admin

import (
	"context"
	"net/http"
	"sort"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
)

// ProcessEntry is one live Claude CLI process on this node.
type ProcessEntry struct {
	PID            int       `json:"pid"`
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

// ProcessStatus is the node's CLI process table and queue.
type ProcessStatus struct {
	Node         string         `json:"node" doc:"The node these processes run on (node-name)"`
	Processes    []ProcessEntry `json:"processes" nullable:"false"`
	Queue        []QueueEntry   `json:"queue" nullable:"false"`
	Busy         int            `json:"busy"`
	MaxProcesses int            `json:"max_processes"`
	MaxBusy      int            `json:"max_busy"`
	MaxQueue     int            `json:"max_queue"`
	// TotalRSSBytes and MemoryBudgetBytes show the memory budget at work.
	TotalRSSBytes     int64 `json:"total_rss_bytes" doc:"Sum of the listed processes' resident memory"`
	MemoryBudgetBytes int64 `json:"memory_budget_bytes" doc:"The cli-memory-budget: idle processes are ended to keep the total within it (0 = none)"`
}

type processesOutput struct{ Body ProcessStatus }

func registerProcesses(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "admin-list-processes", Method: http.MethodGet, Path: "/admin/processes",
		Summary: "List CLI processes and the queue", Tags: []string{"admin"}, Security: api.AdminSecurity, Errors: []int{401, 403},
		Description: "This node's live Claude CLI processes (busy, idle or prewarmed) with RSS (and their total against the memory budget), start time and turns served, and the turns waiting for a process, by API key.",
	}, func(ctx context.Context, _ *struct{}) (*processesOutput, error) {
		st := s.Actors.ProcessStatus()
		out := ProcessStatus{Node: s.Config.NodeName, Processes: make([]ProcessEntry, 0, len(st.Processes)), Queue: make([]QueueEntry, 0, len(st.QueueByKey)),
			Busy: st.Busy, MaxProcesses: st.MaxProcesses, MaxBusy: st.MaxBusy, MaxQueue: st.MaxQueue,
			TotalRSSBytes: st.TotalRSSBytes, MemoryBudgetBytes: st.MemoryBudgetBytes}
		for _, p := range st.Processes {
			out.Processes = append(out.Processes, ProcessEntry{PID: p.PID, ConversationID: p.ConversationID, APIKeyID: p.APIKeyID,
				State: p.State, RSSBytes: p.RSSBytes, StartedAt: p.StartedAt, LastUsedAt: p.LastUsed, Turns: p.Turns})
		}
		for k, n := range st.QueueByKey {
			out.Queue = append(out.Queue, QueueEntry{APIKeyID: k, Waiting: n})
		}
		sort.Slice(out.Queue, func(i, j int) bool { return out.Queue[i].APIKeyID < out.Queue[j].APIKeyID })
		return &processesOutput{Body: out}, nil
	})
}
