package telemetry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	promclient "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// scope is the instrumentation scope of ccgateway's meters and tracers.
const scope = "github.com/ccgateway/ccgateway"

// Config configures Telemetry. The zero value works: metrics for /metrics and
// spans that go nowhere.
type Config struct {
	// ServiceName and Version name this process in target_info and span resources
	// (default "ccgateway" and "").
	ServiceName string
	Version     string
	// Node is the node name, added to the resource as service.instance.id.
	Node string
	// SpanProcessors receive every span (an exporter's batch processor, or a test's
	// tracetest.SpanRecorder). Without any, spans are created and dropped.
	SpanProcessors []sdktrace.SpanProcessor
}

// Telemetry owns the process's OpenTelemetry providers: a MeterProvider read by
// a Prometheus exporter into its own registry (served by MetricsHandler) and a
// TracerProvider. It is not installed as the otel global: ccgateway passes it
// down explicitly.
type Telemetry struct {
	registry *promclient.Registry
	meters   *sdkmetric.MeterProvider
	tracers  *sdktrace.TracerProvider
	meter    metric.Meter
	tracer   trace.Tracer

	http   httpInstruments
	policy policyInstruments
}

// New builds the providers and the instruments.
func New(cfg Config) (*Telemetry, error) {
	if cfg.ServiceName == "" {
		cfg.ServiceName = "ccgateway"
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", cfg.ServiceName)}
	if cfg.Version != "" {
		attrs = append(attrs, attribute.String("service.version", cfg.Version))
	}
	if cfg.Node != "" {
		attrs = append(attrs, attribute.String("service.instance.id", cfg.Node))
	}
	res := resource.NewSchemaless(attrs...)

	reg := promclient.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("telemetry: %w", err)
	}
	exp, err := prometheus.New(prometheus.WithRegisterer(reg), prometheus.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	opts := []sdktrace.TracerProviderOption{sdktrace.WithResource(res)}
	for _, sp := range cfg.SpanProcessors {
		opts = append(opts, sdktrace.WithSpanProcessor(sp))
	}
	t := &Telemetry{
		registry: reg,
		meters:   sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res)),
		tracers:  sdktrace.NewTracerProvider(opts...),
	}
	t.meter = t.meters.Meter(scope)
	t.tracer = t.tracers.Tracer(scope)
	if err := errors.Join(t.http.init(t.meter), t.policy.init(t.meter)); err != nil {
		return nil, fmt.Errorf("telemetry: instruments: %w", err)
	}
	return t, nil
}

// MetricsHandler serves every metric in the Prometheus text format.
func (t *Telemetry) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(t.registry, promhttp.HandlerOpts{})
}

// Meter and Tracer give other packages ccgateway's instrumentation scope.
func (t *Telemetry) Meter() metric.Meter  { return t.meter }
func (t *Telemetry) Tracer() trace.Tracer { return t.tracer }

// Shutdown flushes and stops both providers (span processors export what they hold).
func (t *Telemetry) Shutdown(ctx context.Context) error {
	return errors.Join(t.tracers.Shutdown(ctx), t.meters.Shutdown(ctx))
}
