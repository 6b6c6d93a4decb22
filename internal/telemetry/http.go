package telemetry

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// HTTP metric names (the exporter adds _total and _seconds).
const (
	metricHTTPRequests = "ccgateway_http_requests"         // {method, route, status}
	metricHTTPDuration = "ccgateway_http_request_duration" // {method, route, status}
	metricHTTPInFlight = "ccgateway_http_requests_in_flight"
)

// httpBuckets reach from a health check to a long streamed turn.
var httpBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}

type httpInstruments struct {
	requests metric.Int64Counter
	duration metric.Float64Histogram
	inFlight metric.Int64UpDownCounter
}

func (h *httpInstruments) init(m metric.Meter) error {
	var errs [3]error
	h.requests, errs[0] = m.Int64Counter(metricHTTPRequests,
		metric.WithDescription("HTTP requests by method, route pattern and status."))
	h.duration, errs[1] = m.Float64Histogram(metricHTTPDuration, metric.WithUnit("s"),
		metric.WithDescription("HTTP request duration, from the first byte read to the handler's return (a whole stream for SSE and WebSocket)."),
		metric.WithExplicitBucketBoundaries(httpBuckets...))
	h.inFlight, errs[2] = m.Int64UpDownCounter(metricHTTPInFlight,
		metric.WithDescription("HTTP requests being served (open streams included)."))
	return errors.Join(errs[:]...)
}

// HTTPMiddleware counts and times every request and opens a server span for it.
// The route label is chi's route pattern (e.g. /v1/conversations/{id}), never the
// raw path, so ids do not multiply the series; a request that matched no route
// is labelled "unmatched". The method label is one of the standard methods or
// "other" (labels.go): no label value comes from the client. Use it inside a chi
// router.
func (t *Telemetry) HTTPMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		m := methodLabel(r.Method)
		// A client's W3C traceparent makes this span a child of the client's.
		ctx := w3c.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := t.tracer.Start(ctx, "HTTP "+m, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", m)))
		method := attribute.String("method", m)
		t.http.inFlight.Add(ctx, 1, metric.WithAttributes(method))
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			t.http.inFlight.Add(ctx, -1, metric.WithAttributes(method))
			status := sw.status
			if status == 0 {
				status = http.StatusOK // the handler wrote nothing
			}
			if v := recover(); v != nil {
				status = http.StatusInternalServerError
				defer panic(v)
			}
			route := "unmatched"
			if rc := chi.RouteContext(r.Context()); rc != nil {
				if p := rc.RoutePattern(); p != "" {
					route = p
				}
			}
			attrs := metric.WithAttributes(method, attribute.String("route", route), attribute.String("status", statusLabel(status)))
			t.http.requests.Add(ctx, 1, attrs)
			t.http.duration.Record(ctx, time.Since(start).Seconds(), attrs)
			span.SetName(m + " " + route)
			span.SetAttributes(attribute.String("http.route", route), attribute.Int("http.response.status_code", status))
			if status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

// statusWriter records the response status and keeps flushing and hijacking working.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// FlushError flushes and reports a failed write: http.ResponseController.Flush
// tries it before Flush, so a stream's write deadline is seen at once.
func (w *statusWriter) FlushError() error {
	return http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		if w.status == 0 {
			w.status = http.StatusSwitchingProtocols
		}
		return h.Hijack()
	}
	return nil, nil, fmt.Errorf("telemetry: response writer cannot hijack")
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
