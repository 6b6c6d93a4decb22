package gateway

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// convReadStore counts the conversation-row reads the node makes.
type convReadStore struct {
	store.Store
	reads atomic.Int64
}

func (s *convReadStore) GetConversation(ctx context.Context, keyID, id string) (*store.Conversation, error) {
	s.reads.Add(1)
	return s.Store.GetConversation(ctx, keyID, id)
}

// TestContinuedTurnReadsItsConversationOnce: a continued turn reads its
// conversation's row once on its way (admission, which the ownership check
// shares), and the grain, which kept the row under its lease, reads it no more;
// a compatibility request that found its conversation with X-Conversation-Id
// reads it once too.
func TestContinuedTurnReadsItsConversationOnce(t *testing.T) {
	t.Parallel()
	var st *convReadStore
	g := newGatewayOn(t, func(s store.Store) store.Store { st = &convReadStore{Store: s}; return st })
	key, _ := g.newKey(store.KeyActive)
	first := g.chatOK(key, api.ChatRequest{Message: "one"})
	turns := []struct {
		name string
		run  func()
	}{
		{"native, model omitted", func() {
			g.chatOK(key, api.ChatRequest{Message: "two", ConversationID: first.ConversationID})
		}},
		{"native, model and max_tokens given", func() {
			g.chatOK(key, api.ChatRequest{Message: "three", ConversationID: first.ConversationID, Model: "sonnet", MaxTokens: 500})
		}},
		{"anthropic, X-Conversation-Id", func() {
			resp, b := g.doWith("POST", "/v1/messages", key, map[string]string{"X-Conversation-Id": first.ConversationID},
				map[string]any{"model": "sonnet", "max_tokens": 100, "messages": []map[string]string{{"role": "user", "content": "four"}}})
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("anthropic: %d %s", resp.StatusCode, b)
			}
		}},
	}
	for _, tc := range turns {
		before := st.reads.Load()
		tc.run()
		if n := st.reads.Load() - before; n != 1 {
			t.Errorf("%s: %d conversation-row reads, want 1", tc.name, n)
		}
	}
}
