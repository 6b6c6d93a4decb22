package telemetry

import (
	"context"
	"fmt"
	"strings"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// OTLPEnabled reports whether the standard OpenTelemetry variables in vars ask for
// trace export: OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// is set and OTEL_TRACES_EXPORTER is not "none". Off when unset: nothing leaves the
// process unless an operator says where to.
func OTLPEnabled(vars []string) bool {
	env := envMap(vars)
	if strings.EqualFold(env["OTEL_TRACES_EXPORTER"], "none") {
		return false
	}
	return env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != ""
}

// NewOTLPProcessor returns a batching span processor that exports over OTLP
// HTTP/protobuf. The exporter reads the standard variables from the process
// environment itself (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT,
// _COMPRESSION, _CERTIFICATE...); vars (the same environment) is checked first for
// a protocol other than http/protobuf, which this build does not speak.
func NewOTLPProcessor(ctx context.Context, vars []string) (sdktrace.SpanProcessor, error) {
	env := envMap(vars)
	for _, k := range []string{"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"} {
		if p := env[k]; p != "" {
			if p != "http/protobuf" {
				return nil, fmt.Errorf("telemetry: %s=%q: only http/protobuf is supported", k, p)
			}
			break
		}
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("telemetry: otlp exporter: %w", err)
	}
	return sdktrace.NewBatchSpanProcessor(exp), nil
}

func envMap(vars []string) map[string]string {
	m := make(map[string]string, len(vars))
	for _, kv := range vars {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// w3c is the W3C Trace Context propagator (traceparent, tracestate).
var w3c = propagation.TraceContext{}

// Traceparent returns the W3C traceparent of ctx's span ("" when there is none),
// for messages that carry a trace across actors and nodes.
func Traceparent(ctx context.Context) string {
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c["traceparent"]
}

// WithTraceparent returns ctx with the remote span context of traceparent as the
// parent of spans started from it (ctx unchanged when traceparent is empty or bad).
func WithTraceparent(ctx context.Context, traceparent string) context.Context {
	if traceparent == "" {
		return ctx
	}
	return w3c.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
}
