package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// slowReaderReply is a reply far larger than what the kernel buffers between
// the gateway and a client with a small receive buffer (loopback send buffers
// grow to tcp_wmem's 4 MiB): its first half (sent before the stall) is 6 MiB,
// so a client that reads nothing blocks the gateway's writes. The stall keeps
// the turn running, so only the gateway giving up on the client ends it.
func slowReaderReply(*testkit.Request) testkit.Reply {
	chunk := strings.Repeat("x", 20<<10)
	chunks := make([]string, 600)
	for i := range chunks {
		chunks[i] = chunk
	}
	return testkit.Reply{Chunks: chunks, Stall: true, Usage: testkit.Usage{InputTokens: 10, OutputTokens: 5}}
}

// smallReadBuffer dials with a 256 KiB receive buffer (no autotuning). Not
// smaller: a window below loopback's 64 KiB MSS is never advertised again once
// closed, and the drain at the test's end would wait on backed-off
// zero-window probes.
func smallReadBuffer(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := c.(*net.TCPConn).SetReadBuffer(256 << 10); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func withStreamWriteTimeout(d time.Duration) gatewayOption {
	return func(cfg *config.Config, cli *claudecli.Config) {
		cfg.StreamWriteTimeout = d
		cli.Watchdog = time.Minute // the stall must not end the turn first
	}
}

// usageOf waits for the usage event of key's request on endpoint.
func usageOf(t *testing.T, g *gateway, keyID, endpoint string) store.UsageEvent {
	t.Helper()
	var rec store.UsageEvent
	waitFor(t, func() bool {
		for _, ev := range g.usage.all() {
			if ev.APIKeyID == keyID && ev.Endpoint == endpoint {
				rec = ev
				return true
			}
		}
		return false
	})
	return rec
}

// TestSlowSSEReaderIsCutOff guards issue 13 item 2 for responses: a client that
// opens a stream and stops reading does not pin the stream. The write that
// cannot reach it fails after stream-write-timeout, the stream ends, the turn is
// canceled and recorded (499) with its slot released, and the connection is
// closed: the client, draining what the kernel had buffered, reaches its end.
func TestSlowSSEReaderIsCutOff(t *testing.T) {
	g := newGateway(t, withStreamWriteTimeout(300*time.Millisecond))
	g.fake.SetReply(slowReaderReply)
	for _, tc := range []struct{ path, body string }{
		{"/api/chat", `{"message":"go","stream":true}`},
		{"/v1/chat/completions", `{"model":"sonnet","stream":true,"messages":[{"role":"user","content":"go"}]}`},
	} {
		t.Run(tc.path, func(t *testing.T) {
			key, k := g.newKey(store.KeyActive)
			c, err := smallReadBuffer(context.Background(), "tcp", strings.TrimPrefix(g.srv.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
				tc.path, key, len(tc.body), tc.body)

			rec := usageOf(t, g, k.ID, tc.path)
			if rec.StatusCode != 499 {
				t.Errorf("usage event of the unread stream: status %d (%s)", rec.StatusCode, rec.Error)
			}
			waitFor(t, func() bool {
				cs, err := g.system().Counters(context.Background(), k.ID)
				return err == nil && cs.InFlight == 0
			})
			// The gateway closed the connection: what the kernel holds drains to EOF.
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			n, err := io.Copy(io.Discard, c)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("the connection is still open after %d bytes", n)
			}
			if n == 0 || n >= 6<<20 {
				t.Errorf("the client read %d bytes: want some, fewer than the stalled reply's 6 MiB", n)
			}
		})
	}
}

// TestSlowWebSocketReaderIsCutOff: a socket whose client stops reading is closed
// once a write waits stream-write-timeout; its chat is canceled and recorded.
func TestSlowWebSocketReaderIsCutOff(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withStreamWriteTimeout(300*time.Millisecond))
	g.fake.SetReply(slowReaderReply)
	key, k := g.newKey(store.KeyActive)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hc := &http.Client{Transport: &http.Transport{DialContext: smallReadBuffer}}
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + tenant.WSPath
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: hc, HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if err := wsjson.Write(ctx, c, map[string]any{"type": "chat", "id": "a", "message": "go"}); err != nil {
		t.Fatal(err)
	}
	rec := usageOf(t, g, k.ID, tenant.WSPath)
	if rec.StatusCode != 499 {
		t.Errorf("usage event of the unread socket's chat: status %d (%s)", rec.StatusCode, rec.Error)
	}
	// The socket is closed: reading on drains the buffered messages to its end.
	for {
		var m tenant.WSOut
		if err := wsjson.Read(ctx, c, &m); err != nil {
			if ctx.Err() != nil {
				t.Fatal("the socket is still open")
			}
			break
		}
		if m.Type == "done" {
			t.Fatal("the stalled chat finished")
		}
	}
}
