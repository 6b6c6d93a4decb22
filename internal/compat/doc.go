// Package compat translates the OpenAI Chat Completions, OpenAI Responses and
// Anthropic Messages wire formats to and from ccgateway's turns. It is pure:
// parsing and validating request bodies, normalizing and hashing the history such clients resend on every call,
// rendering a transcript when no stored conversation matches, and building the
// response objects, stream chunks and error bodies each client's SDK expects.
// The HTTP handlers in package api do the I/O around it. Besides the stdlib it
// imports only internal/claudecli (stop reasons, in stop.go).
package compat
