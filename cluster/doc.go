// Package cluster holds ccgateway's protoactor cluster providers and their
// configuration. Conversations and tenants are cluster kinds even on one node, so
// running several nodes is a provider swap: SingleNode when no gossip address is
// set, else Provider, which keeps protoactor's member list in step with a
// hashicorp/memberlist cluster, reports membership events (a dead member's leases
// are taken over at once) and carries the cluster's broadcasts (key and policy
// changes, used request signatures).
package cluster
