package api

import (
	"context"
	"net/http"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// admit is the admission step every chat transport takes once it has built its
// turn and before it runs it: the key's tenant grain runs the policy chain with
// the key's live counters. On allow it applies the policies' rewrites to req (the
// max_tokens clamp, a model); the turn holds the request's in-flight slot and
// settles it itself. On deny it returns the problem (429 with Retry-After for
// limits, 403 for permissions, code = the policy's code); the request was not
// counted. The caller refuses the turn with any problem returned.
func (s *Server) Admit(ctx context.Context, t *actors.Turn, req *actors.ChatRequest, stream bool) *Problem {
	k := KeyFrom(ctx)
	a := actors.Admission{
		Key: ABIKey(k),
		Request: abi.Request{
			Endpoint: endpointPath(ctx), Model: req.Model, MaxTokens: int64(req.MaxTokens), Stream: stream,
			Tools: req.Tools, ConversationID: req.ConversationID, MessageBytes: int64(len(req.Message)),
		},
	}
	if ip := CallerFrom(ctx).IP; ip.IsValid() {
		a.Request.ClientIP = ip.String()
	}
	if req.ConversationID != "" && k != nil && req.Conversation == nil {
		// The continue's one read of its conversation row on this node: the turn
		// carries it (Chat takes the ownership as checked). A conversation that
		// is not there is admitted all the same and answered not_found by Chat,
		// as before: a missing id costs the request like any other.
		if c, err := s.Store.GetConversation(ctx, k.ID, req.ConversationID); err == nil {
			req.Conversation = c
		}
	}
	if c := req.Conversation; c != nil {
		// A continue keeps the conversation's stored model and max_tokens where the
		// request omits them: decide on what the turn will really run with.
		if a.Request.Model == "" {
			a.Request.Model = c.Model
		}
		if a.Request.MaxTokens == 0 {
			a.Request.MaxTokens = c.MaxTokens
		}
	}
	d, err := t.Admit(ctx, a)
	if d.Window != nil {
		CallerFrom(ctx).Window = d.Window
	}
	if err != nil {
		return ToProblem(err)
	}
	if d.MaxTokens != nil && *d.MaxTokens != a.Request.MaxTokens {
		// The clamp applies to the turn (and, on a continue, is stored with it).
		req.MaxTokens = int(*d.MaxTokens)
	}
	if d.Model != nil {
		m := s.Config.ResolveModel(*d.Model)
		if !s.Config.KnownModel(m) {
			return NewProblem(http.StatusInternalServerError, CodeInternal, "a policy rewrote the model to one not offered here")
		}
		req.Model = m
		t.SetModel(m)
	}
	return nil
}

// checkSettings admits the creation of a conversation: the key's policies run on
// the settings stored for later turns (its model and max_tokens: a permission
// denial refuses them, a max_tokens clamp is applied to spec) and on the key's
// limits, and the create counts as one request of the key, so a key whose limits
// are spent cannot keep creating conversations (429, as a turn would get). The
// request holds no slot beyond this call.
func (s *Server) CheckSettings(ctx context.Context, spec *actors.ConversationSpec) *Problem {
	a := actors.Admission{
		Key:     ABIKey(KeyFrom(ctx)),
		Request: abi.Request{Endpoint: endpointPath(ctx), Model: spec.Model, MaxTokens: int64(spec.MaxTokens)},
	}
	if ip := CallerFrom(ctx).IP; ip.IsValid() {
		a.Request.ClientIP = ip.String()
	}
	d, ticket, err := s.Actors.Admit(ctx, a)
	if err != nil {
		return ToProblem(err)
	}
	if d.Window != nil {
		CallerFrom(ctx).Window = d.Window
	}
	if !d.Allow {
		return ToProblem(d.Denial)
	}
	ticket.Settle(actors.Usage{}, 0) // counted; no tokens, nothing in flight
	CallerFrom(ctx).Admitted = true  // its usage event says so, for the counters' rebuild
	if d.MaxTokens != nil && spec.MaxTokens > 0 {
		spec.MaxTokens = int(*d.MaxTokens)
	}
	return nil
}

// endpointPath is the path of the operation serving ctx ("" outside one).
func endpointPath(ctx context.Context) string {
	if m, ok := ctx.Value(endpointCtx{}).(endpoint); ok {
		return m.path
	}
	return ""
}

// ABIKey is the key's configuration as policies see it.
func ABIKey(k *store.APIKey) abi.Key {
	if k == nil {
		return abi.Key{Status: store.KeyActive}
	}
	md := map[string]string{}
	for name, v := range map[string]string{"user_id": k.Metadata.UserID, "project": k.Metadata.Project, "description": k.Metadata.Description} {
		if v != "" {
			md[name] = v
		}
	}
	return abi.Key{
		ID: k.ID, Status: k.Status, Metadata: md,
		UsageLimit: abi.UsageLimit{RequestsPerMinute: k.UsageLimit.RequestsPerMinute,
			RequestsPerDay: k.UsageLimit.RequestsPerDay, TokensPerDay: k.UsageLimit.TokensPerDay},
		Permissions: abi.Permissions{Models: k.Permissions.Models, MaxTokens: k.Permissions.MaxTokens,
			AllowStreaming: k.Permissions.AllowStreaming},
		MaxConcurrentRequests: k.MaxConcurrentRequests, CostUSDPerDay: k.CostUSDPerDay, Tools: k.Tools,
	}
}
