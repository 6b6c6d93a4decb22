// Package gateway assembles one ccgateway node: the HTTP kernel and its route
// groups on the actor system, store, auth and usage; cmd/ccgateway serve and
// the integration tests build a node through it.
package gateway

import (
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/compat"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/config"
)

// Groups are the route groups of a node, in registration order.
var Groups = []api.Group{tenant.Register, compat.Register, admin.Register}

// APIConfig is the HTTP layer's share of the node's configuration.
func APIConfig(c *config.Config) *api.Config {
	return &api.Config{
		NodeName: c.NodeName, Models: c.Models, DefaultModel: c.DefaultModel,
		MaxMessageBytes: c.MaxMessageBytes, LogMessages: c.LogMessages,
		SSEKeepAlive: c.SSEKeepAlive, StreamHold: c.StreamHold, BodyReadTimeout: c.BodyReadTimeout,
		StreamWriteTimeout: c.StreamWriteTimeout,
		TrustedProxies:     c.TrustedProxies, CORSOrigins: c.CORSOrigins,
		ForceHTTPS: c.ForceHTTPS, HSTSMaxAge: c.HSTSMaxAge,
		AuthFailureBurst: c.AuthFailureBurst, AuthFailureWindow: c.AuthFailureWindow,
		SignatureWindow: c.SignatureWindow, AdminTokenTTL: c.AdminTokenTTL, OIDCIssuer: c.OIDCIssuer,
		OIDCClientID: c.OIDCClientID, OIDCScopes: c.OIDCScopes,
		MetricsListen: c.MetricsListen,
	}
}

// SpecFiles renders the node's OpenAPI document (3.1, and a 3.0 copy for code
// generators) with the default configuration.
func SpecFiles(version string) (v31, v30 []byte, err error) {
	return api.SpecFiles(version, APIConfig(config.Defaults()), Groups...)
}
