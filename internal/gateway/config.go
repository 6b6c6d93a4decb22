package gateway

import (
	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
)

// ActorsConfig is the actor system's share of the configuration, with the CLI
// driver's settings cli; serve and the integration tests build the system
// from it, and add what is not a setting (policies, telemetry, the HTTP address).
func ActorsConfig(cfg *config.Config, cli claudecli.Config, version string) actors.Config {
	return actors.Config{
		CLI: cli, DataDir: cfg.DataDir, TurnTimeout: cfg.TurnTimeout,
		Scheduler: scheduler.Config{MaxProcesses: cfg.MaxProcesses, MaxBusy: cfg.MaxBusyTurns,
			MaxQueue: cfg.QueueSize, MaxQueuePerKey: cfg.QueuePerKey, QueueTimeout: cfg.QueueTimeout},
		Prewarm: cfg.Prewarm, PrewarmMinIdle: cfg.PrewarmMinIdle, MemoryBudget: cfg.CLIMemoryBudget,
		DefaultModel: cfg.ResolveModel(cfg.DefaultModel), IdleTTL: cfg.IdleTTL,
		MaxPending: cfg.ConversationQueue, Retention: cfg.ConversationRetention, SweepInterval: cfg.RetentionInterval,
		KeyDefaultConcurrency: cfg.KeyConcurrency(),
		LeaseTTL:              cfg.LeaseTTL, LeaseRenew: cfg.LeaseRenew,
		Cluster: clusterConfig(cfg), Node: cfg.NodeName, Version: version,
	}
}

// clusterConfig is the cluster's share of the configuration.
func clusterConfig(cfg *config.Config) cluster.Config {
	return cluster.Config{
		Name: cfg.ClusterName, Bind: cfg.ClusterBind, Gossip: cfg.ClusterGossip, Join: cfg.ClusterJoin,
		Advertise: cfg.ClusterAdvertise, Secret: cfg.ClusterSecret,
		Failure: cluster.FailureDetection{ProbeInterval: cfg.ClusterProbeInterval, ProbeTimeout: cfg.ClusterProbeTimeout,
			SuspicionMult: cfg.ClusterSuspicionMult},
	}
}
