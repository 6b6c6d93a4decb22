package tenant

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
)

// ConversationCreate is the body of POST /api/conversations.
type ConversationCreate struct {
	Model        string            `json:"model,omitempty" doc:"Model id or alias; default: the gateway's default model" example:"sonnet"`
	SystemPrompt string            `json:"system_prompt,omitempty" maxLength:"65536" doc:"System prompt for every turn" example:"You are terse."`
	Title        string            `json:"title,omitempty" maxLength:"200" doc:"A display title" example:"Trip planning"`
	Metadata     map[string]string `json:"metadata,omitempty" doc:"Free key/value data for the client"`
	MaxTokens    int               `json:"max_tokens,omitempty" minimum:"1" maximum:"128000" doc:"Cap on each reply's output tokens"`
	Temperature  *float64          `json:"temperature,omitempty" minimum:"0" maximum:"1" doc:"Sampling temperature"`
}

// Conversation is a conversation's metadata.
type Conversation struct {
	ID           string            `json:"id" example:"9b2c3f0e-4c1a-4a53-9d8e-2f6b1c7e5a10"`
	Model        string            `json:"model" example:"claude-sonnet-5-5"`
	SystemPrompt string            `json:"system_prompt"`
	Title        string            `json:"title"`
	Metadata     map[string]string `json:"metadata"`
	MaxTokens    int64             `json:"max_tokens,omitempty"`
	Temperature  *float64          `json:"temperature,omitempty"`
	CreatedAt    time.Time         `json:"created_at"`
	UpdatedAt    time.Time         `json:"updated_at"`
}

// ConversationMessage is one stored turn half; usage is set on assistant messages.
type ConversationMessage struct {
	Seq        int64          `json:"seq"`
	Role       string         `json:"role" enum:"user,assistant"`
	Content    string         `json:"content"`
	Model      string         `json:"model,omitempty"`
	Usage      *api.ChatUsage `json:"usage,omitempty"`
	CostUSD    float64        `json:"cost_usd,omitempty"`
	DurationMS int64          `json:"duration_ms,omitempty"`
	StopReason string         `json:"stop_reason,omitempty"`
	CreatedAt  time.Time      `json:"created_at"`
}

// ConversationDetail is a conversation with one page of its message history: the
// latest messages (before the messages_before cursor), oldest first.
type ConversationDetail struct {
	Conversation
	Messages        []ConversationMessage `json:"messages" nullable:"false" doc:"One page of messages in seq order: the latest messages_limit before the messages_before cursor (all the latest when none), fewer when the page reaches 2 MiB of stored text (at least one message)"`
	MessagesTotal   int                   `json:"messages_total" doc:"The number of messages in the conversation"`
	MessagesHasMore bool                  `json:"messages_has_more" doc:"Older messages exist than the page's first: request them with messages_before set to messages[0].seq"`
}

// ConversationList is one page of the key's conversations, most recent first, in
// the shape every paged list has (items, total, limit, offset).
type ConversationList struct {
	Items  []Conversation `json:"items" nullable:"false" doc:"The page, most recently updated first; fewer than limit when the page reaches 2 MiB of stored text (at least one conversation)"`
	Total  int            `json:"total" doc:"The key's conversations, over all pages"`
	Limit  int            `json:"limit" doc:"The page size asked for"`
	Offset int            `json:"offset" doc:"Conversations skipped before this page: the next page starts at offset + len(items)"`
}

type convCreateInput struct{ Body ConversationCreate }
type convCreateOutput struct {
	Location string `header:"Location" doc:"The new conversation's URL"`
	Body     Conversation
}
type convListInput struct {
	Limit  int `query:"limit" minimum:"1" maximum:"200" default:"50" doc:"Page size; a page also stops at 2 MiB of stored text (at least one conversation): continue from offset + the number returned"`
	Offset int `query:"offset" minimum:"0" doc:"Items to skip"`
}
type convListOutput struct{ Body ConversationList }
type convIDInput struct {
	ID string `path:"id" doc:"The conversation id"`
}
type convGetInput struct {
	ID             string `path:"id" doc:"The conversation id"`
	MessagesLimit  int    `query:"messages_limit" minimum:"1" maximum:"1000" default:"100" doc:"At most this many messages, the latest before messages_before; a page also stops at 2 MiB of stored text (at least one message)"`
	MessagesBefore int64  `query:"messages_before" minimum:"1" doc:"Only messages with a seq below this (a cursor: the previous page's messages[0].seq); none: the latest messages"`
}
type convGetOutput struct{ Body ConversationDetail }
type convContinueInput struct {
	ID   string `path:"id" doc:"The conversation id"`
	Body api.ChatRequest
}

func registerConversations(hapi huma.API, s *server) {
	tags := []string{"conversations"}
	create := huma.Operation{
		OperationID: "create-conversation", Method: http.MethodPost, Path: "/api/conversations", DefaultStatus: http.StatusCreated,
		Summary: "Create a conversation", Tags: tags, Security: api.KeySecurity, Errors: []int{400, 401, 403, 422, 429, 503},
		Description: "Creates a conversation owned by the calling API key. Its CLI process starts with the first turn (POST /api/conversations/{id}/continue). " +
			"The key's policies check the model and max_tokens now (403 with the policy's code, or max_tokens clamped, as they would on a turn) and its limits: the create counts as one request (429 when the key's limits are spent). " +
			"Metadata: at most 16 entries, keys of 1..64 bytes, values of at most 512 bytes.",
	}
	api.IdempotentOperation(&create, api.Idempotent{})
	huma.Register(hapi, create, s.createConversation)
	huma.Register(hapi, huma.Operation{
		OperationID: "list-conversations", Method: http.MethodGet, Path: "/api/conversations",
		Summary: "List your conversations", Tags: tags, Security: api.KeySecurity, Errors: []int{401, 403, 429},
		Description: "The calling key's conversations, most recently updated first, without their messages (GET /api/conversations/{id} has them).",
	}, s.listConversations)
	huma.Register(hapi, huma.Operation{
		OperationID: "get-conversation", Method: http.MethodGet, Path: "/api/conversations/{id}",
		Summary: "Get a conversation and its messages", Tags: tags, Security: api.KeySecurity, Errors: []int{401, 403, 404, 422, 429},
		Description: "Metadata and one page of the message history, with per-turn usage on assistant messages. Another key's conversation is 404. " +
			"The page is the latest messages_limit messages (default 100) in seq order; when messages_has_more is true, older ones follow with messages_before set to the page's first seq.",
	}, s.getConversation)
	huma.Register(hapi, huma.Operation{
		OperationID: "delete-conversation", Method: http.MethodDelete, Path: "/api/conversations/{id}", DefaultStatus: http.StatusNoContent,
		Summary: "Delete a conversation", Tags: tags, Security: api.KeySecurity, Errors: []int{401, 403, 404, 429},
		Description: "Stops the conversation (a running turn is canceled, its CLI process killed) and deletes its messages, stored transcript and the CLI's session files.",
	}, s.deleteConversation)
	op := huma.Operation{
		OperationID: "continue-conversation", Method: http.MethodPost, Path: "/api/conversations/{id}/continue",
		Summary: "Send a message in a conversation", Tags: tags, Security: api.KeySecurity,
		Description: "Same body and responses as POST /api/chat, continuing conversation {id} (a conversation_id in the body is ignored). " +
			"Model, system_prompt, max_tokens and temperature, when given, replace the conversation's settings from this turn on (the CLI process is respawned with --resume, so the history carries over); omitted ones keep them. " +
			"stop_sequences are the turn's own and never stored: a turn whose stop sequences differ from the previous turn's (including none) is run the same way, with the history intact.",
		MaxBodyBytes: int64(s.Config.MaxMessageBytes) + 128<<10,
		Errors:       []int{400, 401, 403, 404, 413, 422, 429, 502, 503, 504},
	}
	api.DocumentChatResponses(hapi, &op)
	huma.Register(hapi, op, func(ctx context.Context, in *convContinueInput) (*huma.StreamResponse, error) {
		in.Body.ConversationID = in.ID
		return s.chat(ctx, &chatInput{Body: in.Body})
	})
}

func (s *server) createConversation(ctx context.Context, in *convCreateInput) (*convCreateOutput, error) {
	model := in.Body.Model
	if model == "" {
		model = s.Config.DefaultModel
	}
	if !s.Config.KnownModel(model) {
		return nil, api.NewProblem(http.StatusBadRequest, api.CodeModelUnknown, "model "+model+" is not offered here; see GET /api/models")
	}
	spec := actors.ConversationSpec{
		Model: s.Config.ResolveModel(model), SystemPrompt: in.Body.SystemPrompt, Title: in.Body.Title,
		Metadata: in.Body.Metadata, MaxTokens: in.Body.MaxTokens, Temperature: in.Body.Temperature,
	}
	// Stored settings apply to every later turn: the key's permissions check them now.
	if p := s.CheckSettings(ctx, &spec); p != nil {
		return nil, p
	}
	c, err := s.Actors.CreateConversation(ctx, api.KeyFrom(ctx).ID, spec)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	return &convCreateOutput{Location: "/api/conversations/" + c.ID, Body: conversationOut(c)}, nil
}

func (s *server) listConversations(ctx context.Context, in *convListInput) (*convListOutput, error) {
	list, total, err := s.Store.ListConversations(ctx, api.KeyFrom(ctx).ID, in.Limit, in.Offset)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	out := &convListOutput{Body: ConversationList{Items: make([]Conversation, 0, len(list)), Total: total, Limit: in.Limit, Offset: in.Offset}}
	size := 0
	for _, c := range list {
		// A page stops at maxListBytes (at least one conversation): system prompts
		// of up to 256 KiB each would otherwise make a 200-item page tens of MB.
		size += conversationSize(c)
		if size > MaxListBytes && len(out.Body.Items) > 0 {
			break
		}
		out.Body.Items = append(out.Body.Items, conversationOut(c))
	}
	return out, nil
}

func (s *server) getConversation(ctx context.Context, in *convGetInput) (*convGetOutput, error) {
	c, err := s.Store.GetConversation(ctx, api.KeyFrom(ctx).ID, in.ID)
	if err != nil {
		return nil, api.ToProblem(err)
	}
	page, err := s.Store.ListMessagesPage(ctx, c.ID, store.MessagePageQuery{
		Before: in.MessagesBefore, Limit: in.MessagesLimit, MaxBytes: MaxMessagesBytes})
	if err != nil {
		return nil, api.ToProblem(err)
	}
	out := &convGetOutput{Body: ConversationDetail{Conversation: conversationOut(c),
		Messages: make([]ConversationMessage, 0, len(page.Messages)), MessagesTotal: page.Total, MessagesHasMore: page.HasMore}}
	for _, m := range page.Messages {
		out.Body.Messages = append(out.Body.Messages, messageOut(m))
	}
	return out, nil
}

func (s *server) deleteConversation(ctx context.Context, in *convIDInput) (*struct{}, error) {
	if err := s.Actors.DeleteConversation(ctx, api.KeyFrom(ctx).ID, in.ID); err != nil {
		return nil, api.ToProblem(err)
	}
	return nil, nil
}

// MaxListBytes bounds the stored text one page of GET /api/conversations carries.
const MaxListBytes = 2 << 20

// MaxMessagesBytes bounds the stored text (store.MessageSize) of the message page
// GET /api/conversations/{id} returns.
const MaxMessagesBytes = 2 << 20

// conversationSize estimates c's size in a list response.
func conversationSize(c *store.Conversation) int {
	n := 256 + len(c.SystemPrompt) + len(c.Title)
	for k, v := range c.Metadata {
		n += len(k) + len(v) + 8
	}
	return n
}

func conversationOut(c *store.Conversation) Conversation {
	meta := c.Metadata
	if meta == nil {
		meta = map[string]string{}
	}
	return Conversation{ID: c.ID, Model: c.Model, SystemPrompt: c.SystemPrompt, Title: c.Title, Metadata: meta,
		MaxTokens: c.MaxTokens, Temperature: c.Temperature, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

func messageOut(m *store.Message) ConversationMessage {
	out := ConversationMessage{Seq: m.Seq, Role: m.Role, Content: m.Content, Model: m.Model, CostUSD: m.CostUSD,
		DurationMS: m.DurationMS, StopReason: m.StopReason, CreatedAt: m.CreatedAt}
	if m.Role == "assistant" {
		u := actors.Usage{InputTokens: m.InputTokens, OutputTokens: m.OutputTokens,
			CacheReadInputTokens: m.CacheReadInputTokens, CacheCreationInputTokens: m.CacheCreationInputTokens}
		out.Usage = &api.ChatUsage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens, CacheReadInputTokens: u.CacheReadInputTokens,
			CacheCreationInputTokens: u.CacheCreationInputTokens, TotalTokens: u.Total()}
	}
	return out
}
