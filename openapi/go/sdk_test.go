package ccgateway_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	ccgateway "github.com/ccgateway/ccgateway/openapi/go"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func bearer(token string) ccgateway.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer "+token)
		return nil
	}
}

func ptr[T any](v T) *T { return &v }

// TestSDKFlow drives the generated Go client through what a new user does, against
// a real `ccgateway serve` with the real CLI and the fake Anthropic API: admin
// login, create a key, chat, stream, a conversation created, continued (also
// streamed), listed, read and deleted, usage, and a key rotation.
func TestSDKFlow(t *testing.T) {
	gw := testkit.StartGateway(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := ccgateway.NewClientWithResponses(gw.URL)
	if err != nil {
		t.Fatal(err)
	}

	login, err := c.AdminLoginWithResponse(ctx, ccgateway.LoginRequest{Username: "admin", Password: testkit.AdminPassword})
	if err != nil || login.JSON200 == nil {
		t.Fatalf("admin login: %v %s", err, body(login.Body))
	}
	admin := bearer(login.JSON200.Token)

	created, err := c.CreateApiKeyWithResponse(ctx, nil, ccgateway.APIKeyCreate{Name: "sdk"}, admin)
	if err != nil || created.JSON201 == nil {
		t.Fatalf("create key: %v %s", err, body(created.Body))
	}
	if !strings.HasPrefix(created.JSON201.Key, "sk-") {
		t.Fatalf("created key %q", created.JSON201.Key)
	}
	key := bearer(created.JSON201.Key)

	chat, err := c.CreateChatWithResponse(ctx, nil, ccgateway.ChatRequest{Message: "hello sdk"}, key)
	if err != nil || chat.JSON200 == nil {
		t.Fatalf("chat: %v %d %s", err, chat.StatusCode(), body(chat.Body))
	}
	if chat.JSON200.Content != "echo: hello sdk" || chat.JSON200.ConversationId == "" {
		t.Fatalf("chat reply %+v", chat.JSON200)
	}

	events, err := c.ChatStream(ctx, ccgateway.ChatRequest{Message: "stream please"}, key)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var deltas strings.Builder
	var done *ccgateway.ChatResponse
	for ev, err := range events {
		if err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, ev.Type)
		switch {
		case ev.Delta != nil:
			deltas.WriteString(ev.Delta.Text)
		case ev.Done != nil:
			done = ev.Done
		case ev.Error != nil:
			t.Fatalf("stream error event %+v", ev.Error)
		}
	}
	if kinds[0] != "start" || kinds[len(kinds)-1] != "done" || done == nil {
		t.Fatalf("stream events %v", kinds)
	}
	if deltas.String() != "echo: stream please" || done.Content != deltas.String() {
		t.Fatalf("stream deltas %q, done %q", deltas.String(), done.Content)
	}

	conv, err := c.CreateConversationWithResponse(ctx, nil, ccgateway.ConversationCreate{Title: ptr("sdk conversation"), SystemPrompt: ptr("Be brief.")}, key)
	if err != nil || conv.JSON201 == nil {
		t.Fatalf("create conversation: %v %d %s", err, conv.StatusCode(), body(conv.Body))
	}
	id := conv.JSON201.Id
	turn, err := c.ContinueConversationWithResponse(ctx, id, ccgateway.ChatRequest{Message: "first"}, key)
	if err != nil || turn.JSON200 == nil || turn.JSON200.Content != "echo: first" || turn.JSON200.ConversationId != id {
		t.Fatalf("continue: %v %s", err, body(turn.Body))
	}
	streamed, err := c.ContinueConversationStream(ctx, id, ccgateway.ChatRequest{Message: "second"}, key)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ccgateway.Text(streamed)
	if err != nil || second.Content != "echo: second" {
		t.Fatalf("continue stream: %v %+v", err, second)
	}
	if got := gw.Fake.Requests(); len(got) == 0 || !strings.Contains(got[len(got)-1].System, "Be brief.") {
		t.Errorf("the conversation's system prompt did not reach the model")
	}

	list, err := c.ListConversationsWithResponse(ctx, nil, key)
	if err != nil || list.JSON200 == nil {
		t.Fatalf("list: %v %s", err, body(list.Body))
	}
	if l := list.JSON200; l.Total != 3 || len(l.Items) != 3 || l.Limit != 50 || l.Offset != 0 || l.Items[0].Id != id {
		t.Errorf("list: %s, want the 3 conversations (chat, stream, the created one first) on one page of 50", body(list.Body))
	}
	two, before := int64(2), int64(3)
	older, err := c.GetConversationWithResponse(ctx, id, &ccgateway.GetConversationParams{MessagesLimit: &two, MessagesBefore: &before}, key)
	if err != nil || older.JSON200 == nil {
		t.Fatalf("get page: %v %s", err, body(older.Body))
	}
	if p := older.JSON200; len(p.Messages) != 2 || p.Messages[0].Seq != 1 || p.MessagesHasMore || p.MessagesTotal != 4 {
		t.Errorf("messages page before seq 3: %s", body(older.Body))
	}
	detail, err := c.GetConversationWithResponse(ctx, id, nil, key)
	if err != nil || detail.JSON200 == nil {
		t.Fatalf("get: %v %s", err, body(detail.Body))
	}
	var texts []string
	for _, m := range detail.JSON200.Messages {
		texts = append(texts, string(m.Role)+":"+m.Content)
	}
	if want := "user:first assistant:echo: first user:second assistant:echo: second"; strings.Join(texts, " ") != want {
		t.Errorf("messages %q, want %q", strings.Join(texts, " "), want)
	}
	del, err := c.DeleteConversationWithResponse(ctx, id, key)
	if err != nil || del.StatusCode() != http.StatusNoContent {
		t.Fatalf("delete: %v %d %s", err, del.StatusCode(), body(del.Body))
	}
	gone, err := c.GetConversationWithResponse(ctx, id, nil, key)
	if err != nil || gone.ApplicationproblemJSON404 == nil || gone.ApplicationproblemJSON404.Code != "not_found" {
		t.Fatalf("get after delete: %v %d %s", err, gone.StatusCode(), body(gone.Body))
	}

	testkit.Eventually(t, 10*time.Second, "own usage counts the four turns", func() bool {
		u, err := c.GetOwnUsageWithResponse(ctx, key)
		return err == nil && u.JSON200 != nil && u.JSON200.Today.Requests >= 4 && u.JSON200.Today.ResponseTokens > 0
	})

	rotated, err := c.RotateApiKeyWithResponse(ctx, created.JSON201.Id, ccgateway.APIKeyRotate{GracePeriodSeconds: ptr(int64(0))}, admin)
	if err != nil || rotated.JSON200 == nil {
		t.Fatalf("rotate: %v %s", err, body(rotated.Body))
	}
	if rotated.JSON200.Key == created.JSON201.Key || rotated.JSON200.Key == "" {
		t.Fatalf("rotation returned key %q", rotated.JSON200.Key)
	}
	models, err := c.ListModelsWithResponse(ctx, bearer(rotated.JSON200.Key))
	if err != nil || models.JSON200 == nil {
		t.Fatalf("the rotated key: %v %d %s", err, models.StatusCode(), body(models.Body))
	}
	old, err := c.ListModelsWithResponse(ctx, key)
	if err != nil || old.ApplicationproblemJSON401 == nil || old.ApplicationproblemJSON401.Status != http.StatusUnauthorized {
		t.Fatalf("the replaced key still works: %v %d", err, old.StatusCode())
	}
}

func body(b []byte) string {
	if len(b) > 500 {
		b = b[:500]
	}
	return string(b)
}
