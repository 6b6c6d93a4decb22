// Package messages holds the protobuf messages exchanged with conversation and
// tenant grains, which may live on another node, and between the nodes' admin
// actors. Regenerate with `make proto`.
package messages

//go:generate protoc --proto_path=. --go_out=. --go_opt=paths=source_relative messages.proto
