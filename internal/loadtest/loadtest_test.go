package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeGateway speaks the gateway's chat protocol (JSON, SSE, WebSocket). Every
// failEvery-th request fails with 503 queue_full; it records which conversation
// each request named and which key sent it.
type fakeGateway struct {
	failEvery int
	delay     time.Duration // before a REST reply
	newDelay  time.Duration // before a REST reply that starts a conversation

	mu    sync.Mutex
	n     int
	convs []string // conversation_id of each request ("" = new)
	keys  map[string]int
}

func (f *fakeGateway) next(key, conv string) (n int, fail bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	f.convs = append(f.convs, conv)
	if f.keys == nil {
		f.keys = map[string]int{}
	}
	f.keys[key]++
	return f.n, f.failEvery > 0 && f.n%f.failEvery == 0
}

func (f *fakeGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if key == "bad" {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(401)
		_, _ = w.Write([]byte(`{"status":401,"code":"invalid_api_key"}`))
		return
	}
	switch r.URL.Path {
	case "/api/chat":
		var b chatBody
		_ = json.NewDecoder(r.Body).Decode(&b)
		n, fail := f.next(key, b.ConversationID)
		if fail {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(503)
			_, _ = w.Write([]byte(`{"status":503,"code":"queue_full"}`))
			return
		}
		conv := b.ConversationID
		if conv == "" {
			conv = fmt.Sprintf("conv-%d", n)
		}
		if !b.Stream {
			d := f.delay
			if b.ConversationID == "" {
				d += f.newDelay
			}
			select {
			case <-time.After(d):
			case <-r.Context().Done():
				return
			}
			_ = json.NewEncoder(w).Encode(map[string]string{"conversation_id": conv, "content": "hi"})
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		fmt.Fprintf(w, "event: start\ndata: {\"conversation_id\":%q}\n\n", conv)
		fl.Flush()
		time.Sleep(2 * time.Millisecond)
		fmt.Fprint(w, ": keep-alive\n\nevent: delta\ndata: {\"text\":\"hi\"}\n\n")
		fl.Flush()
		time.Sleep(2 * time.Millisecond)
		fmt.Fprintf(w, "event: done\ndata: {\"conversation_id\":%q}\n\n", conv)
	case "/api/ws":
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			_, data, err := ws.Read(r.Context())
			if err != nil {
				return
			}
			var b chatBody
			_ = json.Unmarshal(data, &b)
			n, fail := f.next(key, b.ConversationID)
			send := func(v any) { bb, _ := json.Marshal(v); _ = ws.Write(r.Context(), websocket.MessageText, bb) }
			// Another request's message first: the client must match ids.
			send(map[string]string{"type": "delta", "id": "other", "text": "x"})
			if fail {
				send(map[string]any{"type": "error", "id": b.ID, "error": map[string]any{"status": 503, "code": "queue_timeout"}})
				continue
			}
			conv := b.ConversationID
			if conv == "" {
				conv = fmt.Sprintf("conv-%d", n)
			}
			send(map[string]string{"type": "start", "id": b.ID, "conversation_id": conv})
			send(map[string]string{"type": "delta", "id": b.ID, "text": "hi"})
			send(map[string]any{"type": "done", "id": b.ID, "result": map[string]string{"conversation_id": conv}})
		}
	default:
		http.NotFound(w, r)
	}
}

func baseConfig(url string) Config {
	return Config{URL: url, Keys: []string{"k1", "k2"}, Clients: 4, Transport: REST, Mode: New,
		Requests: 40, Message: "hello", Timeout: 5 * time.Second}
}

func TestRunTransportsAndModes(t *testing.T) {
	for _, tr := range []string{REST, SSE, WebSocket} {
		for _, mode := range []string{New, Continued} {
			t.Run(tr+"/"+mode, func(t *testing.T) {
				f := &fakeGateway{failEvery: 5}
				srv := httptest.NewServer(f)
				defer srv.Close()
				cfg := baseConfig(srv.URL)
				cfg.Transport, cfg.Mode = tr, mode
				rep, err := Run(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				// Exactly Requests measured requests; one in five failed with the
				// transport's problem code (setup turns of continued mode may fail too).
				if rep.OK+rep.Failed-setupFailures(rep) != 40 {
					t.Fatalf("ok %d + failed %d (setup failures %d) != 40 requests: %+v", rep.OK, rep.Failed, setupFailures(rep), rep.Errors)
				}
				code := "queue_full"
				if tr == WebSocket {
					code = "queue_timeout"
				}
				if rep.Errors[code] == 0 || rep.Latency.Count != int64(rep.OK) {
					t.Fatalf("errors %v, latency count %d, ok %d", rep.Errors, rep.Latency.Count, rep.OK)
				}
				if tr == REST && rep.TTFT.Count != 0 {
					t.Fatalf("REST recorded %d first deltas", rep.TTFT.Count)
				}
				if tr != REST && rep.TTFT.Count != int64(rep.OK) {
					t.Fatalf("%s: %d first deltas for %d ok", tr, rep.TTFT.Count, rep.OK)
				}
				if rep.TTFT.P50 > rep.Latency.P50 {
					t.Fatalf("first delta p50 %.2f after the reply p50 %.2f", rep.TTFT.P50, rep.Latency.P50)
				}
				f.mu.Lock()
				defer f.mu.Unlock()
				named := 0
				for _, c := range f.convs {
					if c != "" {
						named++
					}
				}
				switch mode {
				case New:
					if named != 0 {
						t.Fatalf("new mode named a conversation in %d requests", named)
					}
				case Continued:
					// Every measured request continues a conversation its client created.
					if named != 40 || rep.Setup < cfg.Clients {
						t.Fatalf("continued: %d requests named a conversation (want 40), %d setup turns", named, rep.Setup)
					}
				}
				if f.keys["k1"] == 0 || f.keys["k2"] == 0 {
					t.Fatalf("keys used: %v", f.keys)
				}
				var buf bytes.Buffer
				rep.WriteText(&buf)
				for _, want := range []string{"| latency |", code + "="} {
					if !strings.Contains(buf.String(), want) {
						t.Fatalf("report lacks %q:\n%s", want, buf.String())
					}
				}
			})
		}
	}
}

func setupFailures(r *Report) int {
	n := 0
	for k, v := range r.Errors {
		if strings.HasPrefix(k, "setup_") {
			n += v
		}
	}
	return n
}

func TestRunErrorsByCode(t *testing.T) {
	srv := httptest.NewServer(&fakeGateway{})
	defer srv.Close()
	cfg := baseConfig(srv.URL)
	cfg.Keys, cfg.Requests = []string{"bad"}, 6
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 0 || rep.Errors["invalid_api_key"] != 6 {
		t.Fatalf("ok %d, errors %v; want 6 invalid_api_key", rep.OK, rep.Errors)
	}
	// The refusals' own latency is reported by code, apart from the ok latency.
	if p := rep.ErrorLatency["invalid_api_key"]; p.Count != 6 || p.P50 <= 0 || rep.Latency.Count != 0 {
		t.Fatalf("error latency %+v, ok latency %+v; want 6 refusals timed and no ok", p, rep.Latency)
	}
	var buf bytes.Buffer
	rep.WriteText(&buf)
	if !strings.Contains(buf.String(), "| invalid_api_key | 6 |") {
		t.Fatalf("report lacks the refusals' latency row:\n%s", buf.String())
	}
	// A gateway that is not there.
	srv.Close()
	cfg.Keys, cfg.Requests = []string{"k"}, 3
	rep, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Errors["transport_error"] != 3 {
		t.Fatalf("errors %v; want 3 transport_error", rep.Errors)
	}
}

func TestRunRateAndDuration(t *testing.T) {
	srv := httptest.NewServer(&fakeGateway{})
	defer srv.Close()
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Rate = 10, 20 // the 10th request may start 450 ms in
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK != 10 || rep.Elapsed < 0.45 {
		t.Fatalf("ok %d in %.3f s; want 10 requests spread over at least 0.45 s", rep.OK, rep.Elapsed)
	}
	cfg.Requests, cfg.Rate, cfg.Duration = 0, 0, 200*time.Millisecond
	rep, err = Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK == 0 || rep.Elapsed > 5 {
		t.Fatalf("a 200 ms run: ok %d in %.1f s", rep.OK, rep.Elapsed)
	}
}

// TestTimedRunCutsOpenRequests: requests still open when a timed run ends are
// canceled and counted apart, neither ok nor failed.
func TestTimedRunCutsOpenRequests(t *testing.T) {
	srv := httptest.NewServer(&fakeGateway{delay: time.Minute})
	defer srv.Close()
	cfg := baseConfig(srv.URL)
	cfg.Clients, cfg.Requests, cfg.Duration = 3, 0, 200*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Cut != 3 || rep.OK != 0 || rep.Failed != 0 || rep.Elapsed > 30 {
		t.Fatalf("cut %d, ok %d, failed %d (%v) in %.1f s; want 3 cut at 0.2 s", rep.Cut, rep.OK, rep.Failed, rep.Errors, rep.Elapsed)
	}
}

// TestContinuedSetupIsNotTimed: a continued run's conversations are created
// before its clock starts, however slow that is.
func TestContinuedSetupIsNotTimed(t *testing.T) {
	srv := httptest.NewServer(&fakeGateway{newDelay: 500 * time.Millisecond})
	defer srv.Close()
	cfg := baseConfig(srv.URL)
	cfg.Mode, cfg.Requests, cfg.Duration = Continued, 0, 200*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Setup != cfg.Clients || rep.OK == 0 || rep.Elapsed > 1 {
		t.Fatalf("setup %d, ok %d in %.2f s: want %d setups, then a 0.2 s measured phase with answers", rep.Setup, rep.OK, rep.Elapsed, cfg.Clients)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg := Config{URL: "localhost:8080", Transport: "grpc", Mode: "old", Rate: -1}
	err := cfg.Validate()
	if err == nil {
		t.Fatal("want errors")
	}
	for _, w := range []string{"url", "keys", "clients", "transport", "mode", "duration or requests", "rate", "message", "timeout"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

func TestMemorySampling(t *testing.T) {
	child := exec.Command("sleep", "30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Process.Kill(); _ = child.Wait() }()
	if !slices.Contains(Descendants(os.Getpid()), child.Process.Pid) {
		t.Fatalf("descendants of %d lack child %d", os.Getpid(), child.Process.Pid)
	}
	srv := httptest.NewServer(&fakeGateway{})
	defer srv.Close()
	cfg := baseConfig(srv.URL)
	cfg.Transport, cfg.Requests, cfg.Duration = SSE, 0, 300*time.Millisecond
	cfg.GatewayPID, cfg.SampleEvery = os.Getpid(), 20*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Memory
	if !m.SamplingEnabled || m.Samples == 0 || m.GatewayPeak == 0 || m.CLIPeak == 0 || m.CLIProcsPeak < 1 {
		t.Fatalf("memory %+v: want samples of this process and its child", m)
	}
}
