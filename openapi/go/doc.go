// Package ccgateway is the Go client of the ccgateway HTTP API.
//
// client.gen.go is generated from openapi/openapi-3.0.yaml by oapi-codegen with its
// default settings (`make generate` rewrites it; a test fails when it is stale).
// stream.go is the one hand-written part: oapi-codegen buffers a whole response body,
// so a streamed chat is read with [ReadEvents] and [ChatStream] instead.
package ccgateway

//go:generate go tool oapi-codegen -generate types,client -package ccgateway -o client.gen.go ../openapi-3.0.yaml
