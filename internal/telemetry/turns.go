package telemetry

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Turn metric names (the exporter adds _seconds).
const (
	metricTurnQueueWait = "ccgateway_turn_queue_wait"          // {process}
	metricTurnTTFT      = "ccgateway_turn_time_to_first_token" // {process}
)

// turnBuckets reach from a live process's first token (~20 ms) to a long queue wait.
var turnBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Turns records the conversation grain's side of a turn: how long it waited for a
// CLI process, and how long until its first token, by how the process was had
// (live, spare, spawn). A nil *Turns records nothing and traces nowhere.
type Turns struct {
	tracer    trace.Tracer
	queueWait metric.Float64Histogram
	ttft      metric.Float64Histogram
}

// Turns returns the instruments of conversation turns.
func (t *Telemetry) Turns() (*Turns, error) {
	var errs [2]error
	tu := &Turns{tracer: t.tracer}
	tu.queueWait, errs[0] = t.meter.Float64Histogram(metricTurnQueueWait, metric.WithUnit("s"),
		metric.WithDescription("Time a turn waited for a CLI process slot on this node (the scheduler's fair queue)."),
		metric.WithExplicitBucketBoundaries(turnBuckets...))
	tu.ttft, errs[1] = t.meter.Float64Histogram(metricTurnTTFT, metric.WithUnit("s"),
		metric.WithDescription("Time from a turn's arrival at its conversation grain to the CLI's first text delta, by process: live (an idle process of the conversation), spare (a prewarmed one) or spawn."),
		metric.WithExplicitBucketBoundaries(turnBuckets...))
	if err := errors.Join(errs[:]...); err != nil {
		return nil, err
	}
	return tu, nil
}

// Tracer is the tracer of turn spans (a no-op one on a nil Turns).
func (tu *Turns) Tracer() trace.Tracer {
	if tu == nil {
		return noop.NewTracerProvider().Tracer(scope)
	}
	return tu.tracer
}

// QueueWait records a turn's wait for a process slot.
func (tu *Turns) QueueWait(ctx context.Context, d time.Duration) {
	if tu != nil {
		tu.queueWait.Record(ctx, d.Seconds())
	}
}

// FirstToken records a turn's time to first token; process is live, spare or spawn.
func (tu *Turns) FirstToken(ctx context.Context, d time.Duration, process string) {
	if tu != nil {
		tu.ttft.Record(ctx, d.Seconds(), metric.WithAttributes(attribute.String("process", process)))
	}
}
