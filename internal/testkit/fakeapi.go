package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// DefaultUsage returns the usage a FakeAPI reports unless a Reply or SetUsage says otherwise.
func DefaultUsage() Usage {
	return Usage{InputTokens: 17, OutputTokens: 5, CacheCreationInputTokens: 3, CacheReadInputTokens: 2}
}

// FakeAPI is a fake Anthropic Messages API served on 127.0.0.1. It records every
// request, answers POST /v1/messages as SSE (when the body asks for stream) or JSON,
// and answers the other endpoints a CLI may call with small plausible bodies.
type FakeAPI struct {
	srv  *httptest.Server
	quit chan struct{} // closed by Close: releases stalled handlers
	seq  atomic.Int64  // numbers message and request ids

	mu       sync.Mutex
	reply    ReplyFunc
	usage    Usage
	requests []*Request // every request, any path
	closed   bool
}

// NewFakeAPI starts a FakeAPI whose default reply is "echo: <last user text>". It is
// closed when t's test ends.
func NewFakeAPI(t testing.TB) *FakeAPI {
	t.Helper()
	f := StartFakeAPI()
	t.Cleanup(f.Close)
	return f
}

// StartFakeAPI starts a FakeAPI outside a test (cmd/fakeanthropic serves one for
// load tests); the caller closes it.
func StartFakeAPI() *FakeAPI {
	f := &FakeAPI{quit: make(chan struct{}), usage: DefaultUsage()}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f
}

// URL returns the base URL, e.g. http://127.0.0.1:41234.
func (f *FakeAPI) URL() string { return f.srv.URL }

// Env returns the environment variables that point a Claude CLI at this fake.
func (f *FakeAPI) Env() []string {
	return []string{
		"ANTHROPIC_BASE_URL=" + f.srv.URL,
		"ANTHROPIC_API_KEY=sk-ant-fake-testkit",
		"CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
	}
}

// SetReply replaces the reply hook; nil restores the default echo.
func (f *FakeAPI) SetReply(fn ReplyFunc) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reply = fn
}

// SetUsage sets the usage reported by replies that do not carry their own.
func (f *FakeAPI) SetUsage(u Usage) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.usage = u
}

// Requests returns the recorded POST /v1/messages requests (not count_tokens), oldest first.
func (f *FakeAPI) Requests() []*Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*Request
	for _, r := range f.requests {
		if r.Method == http.MethodPost && r.Path == "/v1/messages" {
			out = append(out, r)
		}
	}
	return out
}

// AllRequests returns every recorded request, any method and path, oldest first.
func (f *FakeAPI) AllRequests() []*Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]*Request(nil), f.requests...)
}

// Reset forgets the recorded requests.
func (f *FakeAPI) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

// Close releases stalled handlers and stops the server. It is idempotent.
func (f *FakeAPI) Close() {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return
	}
	f.closed = true
	f.mu.Unlock()
	close(f.quit)
	f.srv.CloseClientConnections()
	f.srv.Close()
}

// serve records a request and dispatches it by path.
func (f *FakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := &Request{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Raw: json.RawMessage(body)}
	if r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/v1/messages") {
		decodeBody(req)
	}
	f.mu.Lock()
	f.requests = append(f.requests, req)
	fn, usage := f.reply, f.usage
	f.mu.Unlock()

	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
		var rep Reply
		if fn != nil {
			rep = fn(req)
		} else {
			rep = Reply{Text: "echo: " + req.LastUserText()}
		}
		if rep.Usage == (Usage{}) {
			rep.Usage = usage
		}
		f.answer(w, r, req, rep)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/messages/count_tokens":
		writeJSON(w, http.StatusOK, map[string]int{"input_tokens": len(body)/4 + 1})
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/models"):
		writeJSON(w, http.StatusOK, map[string]any{"data": []any{}, "has_more": false})
	default:
		writeJSON(w, http.StatusOK, map[string]any{})
	}
}

// writeJSON writes v as a JSON response with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
