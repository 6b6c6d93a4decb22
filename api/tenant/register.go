// Package tenant serves a key holder's own routes, /api/*: chat (JSON and
// SSE), conversations, models, usage and the WebSocket. It is an api.Group
// (Register).
package tenant

import (
	"github.com/danielgtaylor/huma/v2"
	"github.com/go-chi/chi/v5"

	"github.com/ccgateway/ccgateway/api"
)

// Register is the api.Group of /api/*: chat, conversations, models, usage and the WebSocket.
func Register(as *api.Server, hapi huma.API, r chi.Router) {
	s := &server{as}
	r.Get(WSPath, s.serveWS) // a plain chi route: huma does not model WebSocket
	registerModels(hapi, s)
	registerChat(hapi, s)
	registerTenantUsage(hapi, s)
	registerConversations(hapi, s)
}

// server is the kernel's Server, with this group's handlers as its methods.
type server struct{ *api.Server }
