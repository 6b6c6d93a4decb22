package main

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// otlpReceiver is an in-process OTLP/HTTP trace receiver: it decodes every
// protobuf export request and keeps the spans.
type otlpReceiver struct {
	mu    sync.Mutex
	spans []*tracepb.Span
	nodes map[*tracepb.Span]string // the exporting node's service.instance.id
	paths []string
	ctype []string
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(body, &req); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	o.paths = append(o.paths, r.URL.Path)
	o.ctype = append(o.ctype, r.Header.Get("Content-Type"))
	if o.nodes == nil {
		o.nodes = map[*tracepb.Span]string{}
	}
	for _, rs := range req.ResourceSpans {
		node := ""
		for _, a := range rs.GetResource().GetAttributes() {
			if a.Key == "service.instance.id" {
				node = a.Value.GetStringValue()
			}
		}
		for _, ss := range rs.ScopeSpans {
			o.spans = append(o.spans, ss.Spans...)
			for _, sp := range ss.Spans {
				o.nodes[sp] = node
			}
		}
	}
	o.mu.Unlock()
	b, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(b)
}

func (o *otlpReceiver) find(name string) *tracepb.Span {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, s := range o.spans {
		if s.Name == name || strings.HasPrefix(s.Name, name) {
			return s
		}
	}
	return nil
}

// inTrace returns the spans of the trace (hex id) with their exporting nodes.
func (o *otlpReceiver) inTrace(traceID string) map[*tracepb.Span]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := map[*tracepb.Span]string{}
	for _, s := range o.spans {
		if hex.EncodeToString(s.TraceId) == traceID {
			out[s] = o.nodes[s]
		}
	}
	return out
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			v := a.Value
			switch {
			case v.GetStringValue() != "":
				return v.GetStringValue()
			case v.GetArrayValue() != nil:
				var parts []string
				for _, x := range v.GetArrayValue().Values {
					parts = append(parts, x.GetStringValue())
				}
				return strings.Join(parts, ",")
			default:
				b, _ := json.Marshal(v.GetIntValue())
				return string(b)
			}
		}
	}
	return ""
}

// TestOTLPTraceExport: with OTEL_EXPORTER_OTLP_ENDPOINT set, a chat turn's spans
// leave the process over OTLP HTTP/protobuf and join the client's W3C trace: the
// HTTP span is the client span's child, and the grain's turn, its queue wait and
// the CLI turn (with GenAI attributes and the CLI's measured usage) share the trace.
func TestOTLPTraceExport(t *testing.T) {
	recv := &otlpReceiver{}
	collector := httptest.NewServer(recv)
	defer collector.Close()
	fake := testkit.NewFakeAPI(t)
	data := t.TempDir()
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t),
		"OTEL_EXPORTER_OTLP_ENDPOINT="+collector.URL, "OTEL_BSP_SCHEDULE_DELAY=100", "OTEL_SERVICE_NAME=gw-under-test")
	k := createKey(t, data)
	_, base, logs := startServe(t, env, "--data-dir", data, "--prewarm", "0")

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(`{"message":"trace me","max_tokens":100}`))
	req.Header.Set("Authorization", "Bearer "+k.Key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("traceparent", "00-"+traceID+"-"+parentID+"-01")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("chat: %d %s\n%s", resp.StatusCode, body, logs)
	}

	var httpSpan, turn, queue, cli *tracepb.Span
	deadline := time.Now().Add(15 * time.Second)
	for httpSpan == nil || turn == nil || queue == nil || cli == nil {
		if time.Now().After(deadline) {
			t.Fatalf("spans missing: http %v, turn %v, queue %v, cli %v\n%s", httpSpan != nil, turn != nil, queue != nil, cli != nil, logs)
		}
		time.Sleep(100 * time.Millisecond)
		httpSpan, turn, queue, cli = recv.find("POST /api/chat"), recv.find("ccgateway.turn"), recv.find("ccgateway.queue_wait"), recv.find("chat ")
	}
	hex := hex.EncodeToString
	for name, s := range map[string]*tracepb.Span{"http": httpSpan, "turn": turn, "queue": queue, "cli": cli} {
		if hex(s.TraceId) != traceID {
			t.Errorf("%s span in trace %s, want the client's %s", name, hex(s.TraceId), traceID)
		}
	}
	if hex(httpSpan.ParentSpanId) != parentID || httpSpan.Kind != tracepb.Span_SPAN_KIND_SERVER {
		t.Errorf("http span parent %s kind %v, want the client's span %s, server", hex(httpSpan.ParentSpanId), httpSpan.Kind, parentID)
	}
	if hex(queue.ParentSpanId) != hex(turn.SpanId) || hex(cli.ParentSpanId) != hex(turn.SpanId) {
		t.Errorf("queue wait and CLI spans are not children of the turn span")
	}
	if cli.Kind != tracepb.Span_SPAN_KIND_CLIENT {
		t.Errorf("cli span kind %v, want client", cli.Kind)
	}
	want := map[string]string{
		"gen_ai.operation.name": "chat", "gen_ai.provider.name": "anthropic", "gen_ai.request.max_tokens": "100",
		"gen_ai.usage.input_tokens": "17", "gen_ai.usage.output_tokens": "5", "gen_ai.response.finish_reasons": "end_turn",
		"ccgateway.process": "spawn",
	}
	for key, v := range want {
		if got := attr(cli, key); got != v {
			t.Errorf("cli span %s = %q, want %q", key, got, v)
		}
	}
	if attr(cli, "gen_ai.request.model") == "" || attr(turn, "gen_ai.conversation.id") == "" {
		t.Errorf("cli span lacks the model or the turn its conversation id")
	}
	recv.mu.Lock()
	if recv.paths[0] != "/v1/traces" || recv.ctype[0] != "application/x-protobuf" {
		t.Errorf("export to %s as %s, want /v1/traces as application/x-protobuf", recv.paths[0], recv.ctype[0])
	}
	recv.mu.Unlock()

	// The turn's queue wait and time to first token are histograms on /metrics.
	mresp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, m := range []string{"ccgateway_turn_queue_wait_seconds_count 1", `ccgateway_turn_time_to_first_token_seconds_count{process="spawn"} 1`} {
		if !strings.Contains(string(metrics), m) {
			t.Errorf("/metrics lacks %q", m)
		}
	}
}
