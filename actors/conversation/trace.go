package conversation

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/internal/telemetry"
)

// Span names of a turn on its grain. The caller's span (HTTP, from the client's
// traceparent) reaches the grain as TurnRequest.traceparent, on any node.
const (
	spanTurn      = "ccgateway.turn"
	spanQueueWait = "ccgateway.queue_wait"
)

// startSpan opens the turn's span as a child of the caller's.
func (r *run) startSpan(ctx context.Context) (context.Context, trace.Span) {
	ctx = telemetry.WithTraceparent(ctx, r.t.req.GetTraceparent())
	return r.d.Turns.Tracer().Start(ctx, spanTurn, trace.WithTimestamp(r.t.arrived),
		trace.WithAttributes(attribute.String("gen_ai.conversation.id", r.convID),
			attribute.String("ccgateway.request_id", r.t.req.GetRequestId())))
}

func (r *run) endSpan(span trace.Span, done *messages.TurnDone, err error) {
	if r.process != "" {
		span.SetAttributes(attribute.String("ccgateway.process", r.process))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, r.d.Encode(err).GetKind())
	} else if done != nil {
		span.SetAttributes(attribute.String("ccgateway.message_id", done.GetMessageId()))
	}
	span.End()
}

// queueWait opens the span of the wait for a process slot; the returned func ends
// it and records the wait.
func (r *run) queueWait(ctx context.Context) func(error) {
	start := time.Now()
	_, span := r.d.Turns.Tracer().Start(ctx, spanQueueWait)
	return func(err error) {
		r.d.Turns.QueueWait(ctx, time.Since(start))
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}

// startCLISpan opens the span of the CLI turn with the GenAI semantic conventions:
// a client call to the model named "chat <model>".
func (r *run) startCLISpan(ctx context.Context, sig Signature) (context.Context, trace.Span) {
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", "chat"),
		attribute.String("gen_ai.provider.name", "anthropic"),
		attribute.String("gen_ai.system", "anthropic"), // the older name of the provider attribute
		attribute.String("gen_ai.request.model", sig.Model),
		attribute.String("gen_ai.conversation.id", r.convID),
		attribute.String("ccgateway.process", r.process),
	}
	if sig.MaxTokens > 0 {
		attrs = append(attrs, attribute.Int64("gen_ai.request.max_tokens", sig.MaxTokens))
	}
	if sig.HasTemperature {
		attrs = append(attrs, attribute.Float64("gen_ai.request.temperature", sig.Temperature))
	}
	if stops := sig.StopList(); len(stops) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.request.stop_sequences", stops))
	}
	return r.d.Turns.Tracer().Start(ctx, "chat "+sig.Model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
}

// endCLISpan ends the CLI turn's span with its measured usage and finish reason.
func endCLISpan(span trace.Span, u *messages.TurnUsage, err error, finish ...string) {
	if u != nil {
		span.SetAttributes(
			attribute.Int64("gen_ai.usage.input_tokens", u.GetInputTokens()),
			attribute.Int64("gen_ai.usage.output_tokens", u.GetOutputTokens()),
			attribute.Int64("gen_ai.usage.cache_read.input_tokens", u.GetCacheReadInputTokens()),
			attribute.Int64("gen_ai.usage.cache_creation.input_tokens", u.GetCacheCreationInputTokens()))
	}
	if len(finish) > 0 && finish[0] != "" {
		span.SetAttributes(attribute.StringSlice("gen_ai.response.finish_reasons", finish))
	}
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	}
	span.End()
}
