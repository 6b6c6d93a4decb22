package gateway

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestSlowBodiesAreCutOffStreamsAreNot guards issue 13 item 2 for request
// bodies: a client that sends headers and part of a body, then stalls, is cut
// off (API operations by huma's per-operation 5 s body deadline, other routes by
// body-read-timeout); a stream that runs far longer than body-read-timeout, once
// its body is read, is unaffected.
func TestSlowBodiesAreCutOffStreamsAreNot(t *testing.T) {
	g := newGateway(t, func(cfg *config.Config, _ *claudecli.Config) { cfg.BodyReadTimeout = 500 * time.Millisecond })
	key, _ := g.newKey(store.KeyActive)

	c, err := net.Dial("tcp", strings.TrimPrefix(g.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /api/chat HTTP/1.1\r\nHost: x\r\nx-api-key: %s\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"message\":", key)
	start := time.Now()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode < 400 {
			t.Fatalf("a stalled body got %d", resp.StatusCode)
		}
	}
	if d := time.Since(start); d > 8*time.Second {
		t.Fatalf("a stalled body held its connection for %v", d)
	}

	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: []string{"slow ", "but ", "alive"}, FirstByteDelay: 1500 * time.Millisecond}
	})
	resp2, body := g.do(context.Background(), "POST", "/api/chat", key, api.ChatRequest{Message: "hi", Stream: true})
	if resp2.StatusCode != 200 || !strings.Contains(string(body), "event: done") {
		t.Fatalf("a stream longer than the body timeout: %d %.300s", resp2.StatusCode, body)
	}
}
