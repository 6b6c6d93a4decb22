package gateway

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// openAIClient is the official OpenAI SDK pointed at the gateway, without retries.
func (g *gateway) openAIClient(key string) *openai.Client {
	c := openai.NewClient(option.WithBaseURL(g.srv.URL+"/v1/"), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(30*time.Second))
	return &c
}

func TestCompatOpenAINonStream(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	var hr *http.Response
	resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{
		Model:    "sonnet",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("You are terse."), openai.UserMessage("Hello there")},
	}, option.WithResponseInto(&hr), option.WithJSONSet("some_future_field", 1))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Object != "chat.completion" || len(resp.Choices) != 1 || !isEcho(resp.Choices[0].Message.Content, "Hello there") || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("response %+v", resp)
	}
	if resp.Usage.CompletionTokens != 5 || resp.Usage.PromptTokens < 17 || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage %+v", resp.Usage)
	}
	if hr.Header.Get("X-Conversation-Id") == "" {
		t.Error("no X-Conversation-Id header")
	}
	reqs := g.fake.Requests()
	if len(reqs) == 0 || !strings.Contains(reqs[len(reqs)-1].System, "You are terse.") {
		t.Errorf("the system prompt did not reach the API")
	}
	usage := g.usageAfter(t, 1)
	if len(usage) != 1 || usage[0].Endpoint != "/v1/chat/completions" || usage[0].StatusCode != 200 || usage[0].ResponseTokens != 5 {
		t.Errorf("usage events %+v", usage)
	}
}

func TestCompatOpenAIStream(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	stream := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me please")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks < 3 || len(acc.Choices) != 1 || !isEcho(acc.Choices[0].Message.Content, "stream me please") || acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("%d chunks, accumulated %+v", chunks, acc.ChatCompletion)
	}
	if acc.Usage.CompletionTokens != 5 || acc.Usage.TotalTokens == 0 {
		t.Errorf("usage %+v", acc.Usage)
	}
	if ev := g.usageAfter(t, 1); len(ev) != 1 || ev[0].Endpoint != "/v1/chat/completions" || ev[0].TotalTokens == 0 {
		t.Errorf("usage events %+v", ev)
	}
}

// TestCompatOpenAIConversation drives three turns the way OpenAI clients do,
// resending the whole history; the second and third calls must continue the stored
// conversation, so the fake API sees one growing CLI session.
func TestCompatOpenAIConversation(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	history := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}
	var convIDs []string
	for _, q := range []string{"first question", "second question", "third question"} {
		history = append(history, openai.UserMessage(q))
		var hr *http.Response
		resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "sonnet", Messages: history}, option.WithResponseInto(&hr))
		if err != nil {
			t.Fatal(err)
		}
		history = append(history, openai.AssistantMessage(resp.Choices[0].Message.Content))
		convIDs = append(convIDs, hr.Header.Get("X-Conversation-Id"))
	}
	checkOneSession(t, g, convIDs, []string{"first question", "second question", "third question"})
}

// checkOneSession asserts that every call ran in one conversation and that the
// last API request carried the CLI's own growing history, not a transcript.
func checkOneSession(t *testing.T, g *gateway, convIDs, questions []string) {
	t.Helper()
	for _, id := range convIDs[1:] {
		if id == "" || id != convIDs[0] {
			t.Fatalf("conversation ids %q: later calls did not continue the first conversation", convIDs)
		}
	}
	reqs := g.fake.Requests()
	last := reqs[len(reqs)-1]
	var users []string
	turns := 0 // user and assistant messages; the CLI may add messages of its own roles
	for _, m := range last.Messages {
		if strings.Contains(m.Text, "<transcript>") {
			t.Fatalf("a transcript was re-sent: %q", m.Text)
		}
		switch m.Role {
		case "user":
			users = append(users, m.Text)
			turns++
		case "assistant":
			turns++
		}
	}
	if turns != 2*len(questions)-1 || len(users) != len(questions) {
		t.Fatalf("last API request has %d turns (%d user), want %d: %+v", turns, len(users), 2*len(questions)-1, last.Messages)
	}
	for i, q := range questions {
		if !strings.Contains(users[i], q) {
			t.Errorf("user message %d = %q, want %q", i, users[i], q)
		}
	}
}

// TestCompatOpenAITranscript sends a history the gateway has never seen: it starts a
// conversation whose first turn carries the earlier messages as a transcript.
func TestCompatOpenAITranscript(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Messages: []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage("old question"), openai.AssistantMessage("old answer"), openai.UserMessage("new question"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := g.fake.Requests()
	got := reqs[len(reqs)-1].LastUserText()
	for _, want := range []string{"<transcript>", "old question", "old answer", "New message:", "new question"} {
		if !strings.Contains(got, want) {
			t.Errorf("first turn lacks %q: %q", want, got)
		}
	}
}

func TestCompatOpenAIErrors(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	suspended, _ := g.newKey(store.KeySuspended)
	past := time.Now().Add(-time.Hour)
	expired, _ := g.newKey(store.KeyActive, func(k *store.APIKey) { k.ExpiresAt = &past })
	user := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}
	tests := []struct {
		name       string
		key        string
		reply      *testkit.Reply
		params     openai.ChatCompletionNewParams
		opts       []option.RequestOption
		status     int
		typ, param string
	}{
		{name: "unknown key", key: "sk-ccg-" + strings.Repeat("x", 40), status: 401, typ: "authentication_error"},
		{name: "not a key", key: "nonsense", status: 401, typ: "authentication_error"},
		{name: "suspended key", key: suspended, status: 403, typ: "permission_error"},
		{name: "expired key", key: expired, status: 403, typ: "permission_error"},
		{name: "unknown model", key: key, params: openai.ChatCompletionNewParams{Model: "gpt-4o"}, status: 404, typ: "not_found_error"},
		{name: "tools", key: key, opts: []option.RequestOption{option.WithJSONSet("tools", []any{map[string]any{"type": "function", "function": map[string]any{"name": "f"}}})}, status: 400, typ: "invalid_request_error", param: "tools"},
		{name: "n > 1", key: key, params: openai.ChatCompletionNewParams{N: openai.Int(2)}, status: 400, typ: "invalid_request_error", param: "n"},
		{name: "logprobs", key: key, params: openai.ChatCompletionNewParams{Logprobs: openai.Bool(true)}, status: 400, typ: "invalid_request_error", param: "logprobs"},
		{name: "upstream rate limit", key: key, reply: &testkit.Reply{Status: 429, RetryAfter: 7 * time.Second}, status: 429, typ: "rate_limit_error"},
		{name: "upstream overloaded", key: key, reply: &testkit.Reply{Status: 529}, status: 503, typ: "server_error"},
		{name: "upstream auth", key: key, reply: &testkit.Reply{Status: 401}, status: 502, typ: "server_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g.fake.SetReply(nil)
			if tt.reply != nil {
				g.fake.SetReply(func(*testkit.Request) testkit.Reply { return *tt.reply })
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			p := tt.params
			p.Messages = user
			_, err := g.openAIClient(tt.key).Chat.Completions.New(ctx, p, tt.opts...)
			var e *openai.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want *openai.Error", err, err)
			}
			if e.StatusCode != tt.status || e.Type != tt.typ || e.Param != tt.param || e.Message == "" {
				t.Fatalf("got %d type %q param %q; want %d %q %q: %s", e.StatusCode, e.Type, e.Param, tt.status, tt.typ, tt.param, e.RawJSON())
			}
			if (tt.status == 429 || tt.status == 503) && e.Response.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After header")
			}
		})
	}
}

func TestCompatOpenAIModels(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	page, err := g.openAIClient(key).Models.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range page.Data {
		ids[m.ID] = m.Object == "model"
	}
	if !ids["sonnet"] || !ids[g.cfg.ResolveModel("sonnet")] {
		t.Errorf("models %+v lack sonnet and its id", page.Data)
	}
}

// isEcho reports whether reply is the fake API's echo of text (the CLI may put its
// own reminders before the user's text).
func isEcho(reply, text string) bool {
	return strings.HasPrefix(reply, "echo: ") && strings.HasSuffix(reply, text)
}

// TestCompatHistoryGrownElsewhereIsNotContinued: a conversation found by its
// history hash but continued meanwhile through the native API holds more
// messages than the client's history, so the client's next call starts a new
// conversation (with a transcript) instead of continuing one it has not seen.
func TestCompatHistoryGrownElsewhereIsNotContinued(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	history := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("first question")}
	var hr *http.Response
	resp, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "sonnet", Messages: history}, option.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	first := hr.Header.Get("X-Conversation-Id")
	if r, body := g.do(t.Context(), "POST", "/api/chat", key, api.ChatRequest{Message: "a native turn", ConversationID: first}); r.StatusCode != 200 {
		t.Fatalf("native continue: %d %s", r.StatusCode, body)
	}
	history = append(history, openai.AssistantMessage(resp.Choices[0].Message.Content), openai.UserMessage("second question"))
	if _, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "sonnet", Messages: history}, option.WithResponseInto(&hr)); err != nil {
		t.Fatal(err)
	}
	if second := hr.Header.Get("X-Conversation-Id"); second == "" || second == first {
		t.Fatalf("the second call went to conversation %q, want a new one (not %q)", second, first)
	}
	reqs := g.fake.Requests()
	if got := reqs[len(reqs)-1].LastUserText(); !strings.Contains(got, "<transcript>") || !strings.Contains(got, "first question") {
		t.Errorf("the new conversation's first turn lacks the client's history: %q", got)
	}
}
