package api

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"
)

// tenantRoutes registers /api/*: chat, conversations, models, usage and the WebSocket.
func tenantRoutes(s *Server, api huma.API, r chi.Router) {
	r.Get(wsPath, s.serveWS) // a plain chi route: huma does not model WebSocket
	registerModels(api, s)
	registerChat(api, s)
	registerTenantUsage(api, s)
	registerConversations(api, s)
}
