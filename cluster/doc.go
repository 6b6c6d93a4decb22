// Package cluster holds ccgateway's protoactor cluster providers and their
// configuration. Conversations are a cluster Kind even on one node, so that running
// several nodes is a provider swap: SingleNode today, a memberlist provider later.
package cluster
