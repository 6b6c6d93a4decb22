package api

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
)

// adminRoutes registers every /admin route.
func adminRoutes(s *Server, api huma.API, _ chi.Router) {
	registerAdminLogin(api, s)
	registerLoginOptions(api, s)
	registerAdminLogout(api, s)
	registerAdminKeys(api, s)
	registerAdminUsage(api, s)
	registerAdminRequests(api, s)
	registerEvents(api, s)
	registerAuditLog(api, s)
	registerProcesses(api, s)
	registerAdminCluster(api, s)
	registerAdminPolicies(api, s)
}
