package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"github.com/ccgateway/ccgateway/api/admin"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestWebSocketAdmissionDoesNotBlockTheSocket: a chat whose admission is slow (a
// policy that runs to its deadline) does not hold up the socket's other messages:
// a ping sent after it is answered before the chat's answer.
func TestWebSocketAdmissionDoesNotBlockTheSocket(t *testing.T) {
	t.Parallel()
	g := newGateway(t, withPolicies(), func(c *config.Config, _ *claudecli.Config) { c.PolicyCallTimeout = 2 * time.Second })
	wasm := buildGuest(t, "misbehave")
	key, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.Metadata.UserID = "loop" })
	resp, b := g.adminDo(t, "POST", "/admin/policies", admin.PolicyUpload{Name: "misbehave", Wasm: wasm, FailureMode: "closed", Activate: true})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %s", resp.StatusCode, b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	url := "ws" + strings.TrimPrefix(g.srv.URL, "http") + "/api/ws"
	c, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + key}}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, m := range []map[string]any{{"type": "chat", "id": "slow", "message": "hi"}, {"type": "ping", "id": "p"}} {
		if err := wsjson.Write(ctx, c, m); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	for len(order) < 2 {
		var m tenant.WSOut
		if err := wsjson.Read(ctx, c, &m); err != nil {
			t.Fatalf("read: %v (so far %v)", err, order)
		}
		order = append(order, m.Type+":"+m.ID)
	}
	if order[0] != "pong:p" || order[1] != "error:slow" {
		t.Fatalf("messages %v, want the pong before the slow chat's error", order)
	}
}
