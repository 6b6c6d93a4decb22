package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// HealthBody says the process is alive.
type HealthBody struct {
	Status string `json:"status" example:"ok" doc:"Always ok while the process serves"`
}

// ReadyCheckResult is one readiness probe's outcome.
type ReadyCheckResult struct {
	Name  string `json:"name" example:"cli" doc:"What was checked: store, cli or cli_credentials"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty" doc:"Why the check failed, with what to do about it"`
}

// ReadyBody lists the readiness checks.
type ReadyBody struct {
	Ready  bool               `json:"ready"`
	Checks []ReadyCheckResult `json:"checks" nullable:"false"`
	// ClusterMembers is set in a cluster only.
	ClusterMembers *int `json:"cluster_members,omitempty" doc:"In a cluster: the alive members this node sees, itself included"`
}

type healthOutput struct{ Body HealthBody }

type readyOutput struct {
	Status int
	Body   ReadyBody
}

func registerHealth(api huma.API, s *Server) {
	huma.Register(api, huma.Operation{
		OperationID: "healthz", Method: http.MethodGet, Path: "/healthz",
		Summary: "Liveness", Tags: []string{"health"},
		Description: "Answers 200 while the process serves requests.",
	}, func(ctx context.Context, _ *struct{}) (*healthOutput, error) {
		return &healthOutput{Body: HealthBody{Status: "ok"}}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "readyz", Method: http.MethodGet, Path: "/readyz",
		Summary: "Readiness", Tags: []string{"health"},
		Description: "200 when the store answers, the Claude CLI runs and it has credentials, and, in a cluster, the node has joined and is not leaving; 503 otherwise, naming what failed. In a cluster it also counts the alive members.",
		Responses: map[string]*huma.Response{
			"503": {Description: "Not ready", Content: map[string]*huma.MediaType{"application/json": {Schema: &huma.Schema{Ref: "#/components/schemas/ReadyBody"}}}},
		},
	}, func(ctx context.Context, _ *struct{}) (*readyOutput, error) {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		out := &readyOutput{Status: http.StatusOK, Body: ReadyBody{Ready: true, Checks: []ReadyCheckResult{}}}
		for _, c := range s.Ready {
			res := ReadyCheckResult{Name: c.Name, OK: true}
			if err := c.Check(ctx); err != nil {
				res.OK, res.Error = false, err.Error()
				out.Body.Ready = false
				out.Status = http.StatusServiceUnavailable
			}
			out.Body.Checks = append(out.Body.Checks, res)
		}
		if s.Actors != nil && s.Actors.Clustered() {
			n := 0
			for _, m := range s.Actors.Members() {
				if m.State == "alive" {
					n++
				}
			}
			out.Body.ClusterMembers = &n
		}
		return out, nil
	})
}
