package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestDisconnectedTurnPaysItsUsage: a client that leaves a streamed turn after
// some deltas still pays the turn's real tokens and cost, on the tenant grain's
// counters and in the usage event, so a daily token quota holds.
func TestDisconnectedTurnPaysItsUsage(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	key, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.TokensPerDay = 1 })
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: []string{"first ", "second ", "third ", "fourth"}, Stall: true,
			Usage: testkit.Usage{InputTokens: 50, OutputTokens: 7}}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", g.srv.URL+"/api/chat", strings.NewReader(`{"message":"go","stream":true}`))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var seen strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(seen.String(), "event: delta") {
		n, err := resp.Body.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("no delta before disconnect: %q (%v)", seen.String(), err)
		}
	}
	cancel()
	resp.Body.Close()

	waitFor(t, func() bool {
		c, err := g.system().Counters(context.Background(), k.ID)
		return err == nil && c.TokensToday > 0 && c.InFlight == 0
	})
	var rec *store.UsageEvent
	waitFor(t, func() bool {
		for _, ev := range g.usage.all() {
			if ev.APIKeyID == k.ID && ev.Endpoint == "/api/chat" {
				rec = &ev
				return true
			}
		}
		return false
	})
	if rec.TotalTokens == 0 || rec.StatusCode != 499 {
		t.Errorf("usage event of the abandoned turn: status %d, %d tokens", rec.StatusCode, rec.TotalTokens)
	}
	st, p := g.admitOnly(t, key, api.ChatRequest{})
	wantDenied(t, "after the abandoned turn", st, p, http.StatusTooManyRequests, "token_limit_day")
}

// TestWebSocketCanceledTurnPaysItsUsage: a WebSocket chat canceled by the client,
// or cut off by the socket's close, still settles and records the tokens it spent.
func TestWebSocketCanceledTurnPaysItsUsage(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies())
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: []string{"first ", "second ", "third ", "fourth"}, Stall: true,
			Usage: testkit.Usage{InputTokens: 50, OutputTokens: 7}}
	})
	for _, how := range []string{"cancel", "close"} {
		t.Run(how, func(t *testing.T) {
			key, k := g.newKey(store.KeyActive, func(k *store.APIKey) { k.UsageLimit.TokensPerDay = 1 })
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
			c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
			if err != nil {
				t.Fatal(err)
			}
			defer c.CloseNow()
			if err := wsjson.Write(ctx, c, map[string]any{"type": "chat", "id": "a", "message": "go"}); err != nil {
				t.Fatal(err)
			}
			for {
				var m tenant.WSOut
				if err := wsjson.Read(ctx, c, &m); err != nil {
					t.Fatal(err)
				}
				if m.Type == "delta" {
					break
				}
			}
			if how == "cancel" {
				if err := wsjson.Write(ctx, c, map[string]any{"type": "cancel", "id": "a"}); err != nil {
					t.Fatal(err)
				}
			} else {
				c.CloseNow()
			}
			waitFor(t, func() bool {
				c, err := g.system().Counters(context.Background(), k.ID)
				return err == nil && c.TokensToday > 0 && c.InFlight == 0
			})
			var rec *store.UsageEvent
			waitFor(t, func() bool {
				for _, ev := range g.usage.all() {
					if ev.APIKeyID == k.ID && ev.Endpoint == tenant.WSPath {
						rec = &ev
						return true
					}
				}
				return false
			})
			if rec.TotalTokens == 0 || rec.StatusCode != 499 || !rec.Admitted {
				t.Errorf("usage event: status %d, %d tokens, admitted %v", rec.StatusCode, rec.TotalTokens, rec.Admitted)
			}
		})
	}
}
