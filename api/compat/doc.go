// Package compat serves /v1: the OpenAI Chat Completions, OpenAI Responses and
// Anthropic Messages dialects, so that those SDKs work unchanged. The wire
// formats (request parsing and validation, the history such clients resend on
// every call and its hash, transcripts for a history no stored conversation
// matches, responses, stream chunks and error bodies) are pure functions; the
// handlers (*_routes.go, run.go, stream.go) translate them to and from the
// kernel's turn API, and problems.go renders every problem on a /v1 route in
// the client's own error shape.
package compat
