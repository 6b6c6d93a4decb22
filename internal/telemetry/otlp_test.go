package telemetry

import (
	"context"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func TestOTLPEnabled(t *testing.T) {
	tests := []struct {
		name string
		vars []string
		want bool
	}{
		{"unset", []string{"PATH=/bin"}, false},
		{"endpoint", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"}, true},
		{"traces endpoint", []string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces"}, true},
		{"empty endpoint", []string{"OTEL_EXPORTER_OTLP_ENDPOINT="}, false},
		{"exporter none", []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://x", "OTEL_TRACES_EXPORTER=none"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OTLPEnabled(tt.vars); got != tt.want {
				t.Fatalf("OTLPEnabled = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOTLPRefusesGRPC(t *testing.T) {
	_, err := NewOTLPProcessor(context.Background(), []string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://x", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"})
	if err == nil || !strings.Contains(err.Error(), "http/protobuf") {
		t.Fatalf("err %v, want a refusal naming http/protobuf", err)
	}
}

// TestTraceparentRoundTrip: the W3C context a span puts on a message makes the
// receiver's spans its children.
func TestTraceparentRoundTrip(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, parent := tp.Tracer("t").Start(context.Background(), "caller")
	tpHeader := Traceparent(ctx)
	parent.End()
	if !strings.HasPrefix(tpHeader, "00-"+parent.SpanContext().TraceID().String()+"-"+parent.SpanContext().SpanID().String()) {
		t.Fatalf("traceparent %q does not carry the caller's span", tpHeader)
	}
	_, child := tp.Tracer("t").Start(WithTraceparent(context.Background(), tpHeader), "grain")
	child.End()
	if got := rec.Ended()[1].Parent(); got.SpanID() != parent.SpanContext().SpanID() || !got.IsRemote() {
		t.Fatalf("grain span parent %v, want the caller's span as a remote parent", got)
	}
	if Traceparent(context.Background()) != "" || WithTraceparent(context.Background(), "garbage") == nil {
		t.Fatal("no span: want an empty traceparent; a bad one must leave ctx usable")
	}
}
