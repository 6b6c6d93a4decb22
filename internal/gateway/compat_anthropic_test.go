package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// anthropicClient is the official Anthropic SDK pointed at the gateway, without
// retries. It sends the key as x-api-key and an anthropic-version header.
func (g *gateway) anthropicClient(key string) *anthropic.Client {
	c := anthropic.NewClient(option.WithBaseURL(g.srv.URL+"/"), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(30*time.Second))
	return &c
}

func userParams(texts ...string) anthropic.MessageNewParams {
	p := anthropic.MessageNewParams{Model: "sonnet", MaxTokens: 256}
	for i, s := range texts {
		if i%2 == 0 {
			p.Messages = append(p.Messages, anthropic.NewUserMessage(anthropic.NewTextBlock(s)))
		} else {
			p.Messages = append(p.Messages, anthropic.NewAssistantMessage(anthropic.NewTextBlock(s)))
		}
	}
	return p
}

func TestCompatAnthropicNonStream(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	p := userParams("Hello there")
	p.System = []anthropic.TextBlockParam{{Text: "You are terse."}}
	var hr *http.Response
	msg, err := g.anthropicClient(key).Messages.New(t.Context(), p, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	if msg.Type != "message" || msg.Role != "assistant" || len(msg.Content) != 1 || !isEcho(msg.Content[0].Text, "Hello there") || msg.StopReason != "end_turn" {
		t.Fatalf("message %+v", msg)
	}
	if msg.Usage.OutputTokens != 5 || msg.Usage.InputTokens == 0 {
		t.Errorf("usage %+v", msg.Usage)
	}
	if hr.Header.Get("X-Conversation-Id") == "" {
		t.Error("no X-Conversation-Id header")
	}
	if ev := g.usageAfter(t, 1); len(ev) != 1 || ev[0].Endpoint != "/v1/messages" || ev[0].StatusCode != 200 {
		t.Errorf("usage events %+v", ev)
	}
}

func TestCompatAnthropicStream(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	stream := g.anthropicClient(key).Messages.NewStreaming(t.Context(), userParams("stream me please"))
	var msg anthropic.Message
	var types []string
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	seq := strings.Join(types, ",")
	if !strings.HasPrefix(seq, "message_start,content_block_start,content_block_delta") || !strings.HasSuffix(seq, "content_block_stop,message_delta,message_stop") {
		t.Errorf("event sequence %s", seq)
	}
	if len(msg.Content) != 1 || !isEcho(msg.Content[0].Text, "stream me please") || msg.StopReason != "end_turn" {
		t.Fatalf("accumulated %+v", msg)
	}
	if msg.Usage.OutputTokens != 5 || msg.Usage.InputTokens == 0 {
		t.Errorf("usage %+v", msg.Usage)
	}
}

// TestCompatAnthropicConversation is the three-turn conversation of the Anthropic SDK.
func TestCompatAnthropicConversation(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.anthropicClient(key)
	var texts, convIDs []string
	for _, q := range []string{"first question", "second question", "third question"} {
		texts = append(texts, q)
		var hr *http.Response
		msg, err := c.Messages.New(t.Context(), userParams(texts...), option.WithResponseInto(&hr))
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, msg.Content[0].Text)
		convIDs = append(convIDs, hr.Header.Get("X-Conversation-Id"))
	}
	checkOneSession(t, g, convIDs, []string{"first question", "second question", "third question"})
}

func TestCompatAnthropicErrors(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	suspended, _ := g.newKey(store.KeySuspended)
	past := time.Now().Add(-time.Hour)
	expired, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.ExpiresAt = &past })
	tests := []struct {
		name   string
		key    string
		reply  *testkit.Reply
		mod    func(p *anthropic.MessageNewParams)
		status int
		typ    string
	}{
		{name: "unknown key", key: "sk-ccg-" + strings.Repeat("x", 40), status: 401, typ: "authentication_error"},
		{name: "suspended key", key: suspended, status: 403, typ: "permission_error"},
		{name: "expired key", key: expired, status: 403, typ: "permission_error"},
		{name: "unknown model", key: key, mod: func(p *anthropic.MessageNewParams) { p.Model = "claude-nonexistent" }, status: 404, typ: "not_found_error"},
		{name: "blank stop sequence", key: key, mod: func(p *anthropic.MessageNewParams) { p.StopSequences = []string{"END", " "} }, status: 400, typ: "invalid_request_error"},
		{name: "image", key: key, mod: func(p *anthropic.MessageNewParams) {
			p.Messages = []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewImageBlockBase64("image/png", "iVBORw0KGgo="))}
		}, status: 400, typ: "invalid_request_error"},
		{name: "upstream rate limit", key: key, reply: &testkit.Reply{Status: 429, RetryAfter: 7 * time.Second}, status: 429, typ: "rate_limit_error"},
		{name: "upstream overloaded", key: key, reply: &testkit.Reply{Status: 529}, status: 503, typ: "overloaded_error"},
		{name: "upstream auth", key: key, reply: &testkit.Reply{Status: 401}, status: 502, typ: "api_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.fake.SetReply(nil)
			if tt.reply != nil {
				g.fake.SetReply(func(*testkit.Request) testkit.Reply { return *tt.reply })
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			p := userParams("hi")
			if tt.mod != nil {
				tt.mod(&p)
			}
			_, err := g.anthropicClient(tt.key).Messages.New(ctx, p)
			var e *anthropic.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *anthropic.Error", err, err)
			}
			if e.StatusCode != tt.status || string(e.Type()) != tt.typ {
				t.Fatalf("got %d %q, want %d %q: %s", e.StatusCode, e.Type(), tt.status, tt.typ, e.RawJSON())
			}
			if (tt.status == 429 || tt.status == 503) && e.Response.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After header")
			}
		})
	}
}

func TestCompatAnthropicCountTokensAndModels(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.anthropicClient(key)
	_, err := c.Messages.CountTokens(t.Context(), anthropic.MessageCountTokensParams{Model: "sonnet",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
	var e *anthropic.Error
	if !errors.As(err, &e) || e.StatusCode != 400 || e.Type() != "invalid_request_error" || !strings.Contains(e.RawJSON(), "count_tokens") {
		t.Fatalf("count_tokens: %v", err)
	}
	page, err := c.Models.List(t.Context(), anthropic.ModelListParams{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range page.Data {
		found = found || (m.ID == "sonnet" && m.Type == "model")
	}
	if !found || page.HasMore {
		t.Errorf("models %+v", page.Data)
	}
}
