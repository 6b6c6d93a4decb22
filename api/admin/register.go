// Package admin serves every /admin route: login and login options, API keys,
// usage and the request log, the live event feed, the audit log, CLI processes,
// the cluster view and policies. It is an api.Group (Register).
package admin

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/ccgateway/ccgateway/api"
)

// Register is the api.Group of every /admin route: login, keys, usage, requests, events, audit,
// processes, cluster and policies.
func Register(as *api.Server, hapi huma.API, _ chi.Router) {
	s := &server{as}
	registerAdminLogin(hapi, s)
	registerLoginOptions(hapi, s)
	registerAdminLogout(hapi, s)
	registerAdminKeys(hapi, s)
	registerAdminUsage(hapi, s)
	registerAdminRequests(hapi, s)
	registerEvents(hapi, s)
	registerAuditLog(hapi, s)
	registerProcesses(hapi, s)
	registerAdminCluster(hapi, s)
	registerAdminPolicies(hapi, s)
}

// server is the kernel's Server, with this group's handlers as its methods.
type server struct{ *api.Server }
