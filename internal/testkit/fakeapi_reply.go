package testkit

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// answer writes rep as the response to a /v1/messages request.
func (f *FakeAPI) answer(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) {
	if rep.Reset {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	}
	if !f.sleep(r, rep.FirstByteDelay) {
		return
	}
	w.Header().Set("request-id", fmt.Sprintf("req_fake_%d", f.seq.Add(1)))
	if rep.Status != 0 && rep.Status != http.StatusOK {
		if rep.RetryAfter > 0 {
			w.Header().Set("retry-after", strconv.Itoa(int((rep.RetryAfter+time.Second-1)/time.Second)))
		}
		msg := rep.ErrorMsg
		if msg == "" {
			msg = fmt.Sprintf("fake error %d", rep.Status)
		}
		writeJSON(w, rep.Status, map[string]any{"type": "error", "error": map[string]string{"type": rep.errorType(), "message": msg}})
		return
	}
	model := req.Model
	if model == "" {
		model = "claude-fake"
	}
	stop := rep.StopReason
	if stop == "" {
		stop = "end_turn"
	}
	var stopSeq any // null unless the reply names the sequence
	if rep.StopSequence != "" {
		stopSeq = rep.StopSequence
	}
	id := fmt.Sprintf("msg_fake_%d", f.seq.Add(1))
	if !req.Stream {
		writeJSON(w, http.StatusOK, map[string]any{
			"id": id, "type": "message", "role": "assistant", "model": model,
			"content":     []any{map[string]string{"type": "text", "text": rep.text()}},
			"stop_reason": stop, "stop_sequence": stopSeq, "usage": rep.Usage,
		})
		return
	}
	f.stream(w, r, id, model, stop, stopSeq, rep)
}

// stream writes a successful reply as Server-Sent Events.
func (f *FakeAPI) stream(w http.ResponseWriter, r *http.Request, id, model, stop string, stopSeq any, rep Reply) {
	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	send := func(event string, data any) {
		b, _ := json.Marshal(data)
		_, _ = fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b)
		if flusher != nil {
			flusher.Flush()
		}
	}
	startUsage := rep.Usage
	startUsage.OutputTokens = 1
	send("message_start", map[string]any{"type": "message_start", "message": map[string]any{
		"id": id, "type": "message", "role": "assistant", "model": model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil, "usage": startUsage,
	}})
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0,
		"content_block": map[string]string{"type": "text", "text": ""}})
	send("ping", map[string]string{"type": "ping"})
	chunks := rep.chunks()
	for i, c := range chunks {
		if rep.Stall && i >= (len(chunks)+1)/2 {
			select {
			case <-r.Context().Done():
			case <-f.quit:
			}
			return
		}
		if i > 0 && !f.sleep(r, rep.ChunkDelay) {
			return
		}
		send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0,
			"delta": map[string]string{"type": "text_delta", "text": c}})
	}
	if rep.Stall { // a reply with no chunks stalls right here
		select {
		case <-r.Context().Done():
		case <-f.quit:
		}
		return
	}
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	send("message_delta", map[string]any{"type": "message_delta",
		"delta": map[string]any{"stop_reason": stop, "stop_sequence": stopSeq},
		"usage": rep.Usage})
	send("message_stop", map[string]string{"type": "message_stop"})
}

// sleep waits d unless the client goes away or the fake closes; it reports whether
// the handler should go on.
func (f *FakeAPI) sleep(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-f.quit:
	}
	return false
}
