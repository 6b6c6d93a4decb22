package telemetry

import (
	"context"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// ProcessStats is a snapshot of this node's CLI processes and turn queue.
type ProcessStats struct {
	// ByState counts live CLI processes by state (busy, idle, prewarmed).
	ByState      map[string]int
	Queued       int // turns waiting for a process, all keys together
	MaxProcesses int
	MaxQueue     int
	RSSBytes     int64 // total resident memory of the CLI processes
	MemoryBudget int64 // cli-memory-budget in bytes (0 = none)
}

// processStates are always reported, at 0 when no process is in them.
var processStates = []string{"busy", "idle", "prewarmed"}

// ObserveProcesses registers gauges read from snapshot at each scrape:
// ccgateway_cli_processes{state}, ccgateway_cli_queue_length,
// ccgateway_cli_max_processes, ccgateway_cli_max_queue, ccgateway_cli_rss_bytes and
// ccgateway_cli_memory_budget_bytes.
func (t *Telemetry) ObserveProcesses(snapshot func() ProcessStats) error {
	var errs [6]error
	var procs, queued, maxProcs, maxQueue, rssTotal, budget metric.Int64ObservableGauge
	procs, errs[0] = t.meter.Int64ObservableGauge("ccgateway_cli_processes",
		metric.WithDescription("Live Claude CLI processes on this node by state."))
	queued, errs[1] = t.meter.Int64ObservableGauge("ccgateway_cli_queue_length",
		metric.WithDescription("Turns waiting for a CLI process on this node."))
	maxProcs, errs[2] = t.meter.Int64ObservableGauge("ccgateway_cli_max_processes",
		metric.WithDescription("The node's cap on live CLI processes (max-processes)."))
	maxQueue, errs[3] = t.meter.Int64ObservableGauge("ccgateway_cli_max_queue",
		metric.WithDescription("The node's cap on waiting turns (queue-size)."))
	rssTotal, errs[4] = t.meter.Int64ObservableGauge("ccgateway_cli_rss_bytes",
		metric.WithDescription("Total resident memory of this node's CLI processes."), metric.WithUnit("By"))
	budget, errs[5] = t.meter.Int64ObservableGauge("ccgateway_cli_memory_budget_bytes",
		metric.WithDescription("The node's cap on the CLI processes' total RSS (cli-memory-budget; 0 = none)."), metric.WithUnit("By"))
	if err := errors.Join(errs[:]...); err != nil {
		return fmt.Errorf("telemetry: process gauges: %w", err)
	}
	_, err := t.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := snapshot()
		for _, s := range processStates {
			o.ObserveInt64(procs, int64(st.ByState[s]), metric.WithAttributes(attribute.String("state", s)))
		}
		other := 0
		for s, n := range st.ByState {
			if !known(s) {
				other += n // a closed label set: a new state is counted, never named
			}
		}
		if other > 0 {
			o.ObserveInt64(procs, int64(other), metric.WithAttributes(attribute.String("state", labelOther)))
		}
		o.ObserveInt64(queued, int64(st.Queued))
		o.ObserveInt64(maxProcs, int64(st.MaxProcesses))
		o.ObserveInt64(maxQueue, int64(st.MaxQueue))
		o.ObserveInt64(rssTotal, st.RSSBytes)
		o.ObserveInt64(budget, st.MemoryBudget)
		return nil
	}, procs, queued, maxProcs, maxQueue, rssTotal, budget)
	return err
}

func known(state string) bool {
	for _, s := range processStates {
		if s == state {
			return true
		}
	}
	return false
}
