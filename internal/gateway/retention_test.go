package gateway

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/api/tenant"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/config"
	"github.com/ccgateway/ccgateway/internal/store"
)

// TestRetentionSweeperDeletesIdleConversations: a conversation idle past the
// retention is deleted with its process, rows, transcript and session files; a
// fresh one of the same key survives the same sweep.
func TestRetentionSweeperDeletesIdleConversations(t *testing.T) {
	const retention = 4 * time.Second
	g := newGateway(t, func(c *config.Config, _ *claudecli.Config) { c.ConversationRetention = retention })
	key, k := g.newKey(store.KeyActive)
	ctx := context.Background()
	old := g.chatOK(key, api.ChatRequest{Message: "soon forgotten"})
	pid := waitForProcess(t, g)
	if _, err := g.st.GetTranscript(ctx, old.ConversationID); err != nil {
		t.Fatalf("no transcript stored: %v", err)
	}
	time.Sleep(retention / 2)
	resp, b := g.do(ctx, "POST", "/api/conversations", key, tenant.ConversationCreate{Title: "fresh"})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	fresh := decode[tenant.Conversation](t, b)

	for deadline := time.Now().Add(3 * retention); ; time.Sleep(50 * time.Millisecond) {
		if resp, _ := g.do(ctx, "GET", "/api/conversations/"+old.ConversationID, key, nil); resp.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the idle conversation was never swept")
		}
	}
	// The fresh conversation is at most retention/2 + one sweep old here.
	if resp, b := g.do(ctx, "GET", "/api/conversations/"+fresh.ID, key, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the fresh conversation: %d %s", resp.StatusCode, b)
	}
	if _, err := g.st.GetTranscript(ctx, old.ConversationID); err == nil {
		t.Error("transcript row left")
	}
	if msgs, _ := g.st.ListMessages(ctx, old.ConversationID); len(msgs) != 0 {
		t.Error("message rows left")
	}
	assertNoSessionFiles(t, g.dir, k.ID)
	assertGone(t, pid, 3*time.Second)
}
