package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// AuditEntryBody is one admin action in the audit log.
type AuditEntryBody struct {
	ID     int64           `json:"id" example:"42"`
	Time   time.Time       `json:"time"`
	Actor  string          `json:"actor" doc:"The admin: a local user name, or method:subject for tokens from another system" example:"admin"`
	Action string          `json:"action" doc:"What was done: admin.login, admin.login_failed, api_key.create, api_key.update, api_key.rotate, api_key.delete, api_key.expire" example:"api_key.update"`
	Target string          `json:"target" doc:"The object acted on, such as a key id" example:"5a0f7c1e-4d1e-4c8b-9a51-1f6f0d8d2b7e"`
	IP     string          `json:"ip" doc:"The admin's client address" example:"203.0.113.7"`
	Before json.RawMessage `json:"before" doc:"The object before the action, secrets masked; null for creations"`
	After  json.RawMessage `json:"after" doc:"The object after the action, secrets masked; null for deletions"`
}

// AuditList is one page of the audit log, newest first.
type AuditList struct {
	Items  []AuditEntryBody `json:"items" nullable:"false"`
	Total  int              `json:"total"`
	Limit  int              `json:"limit"`
	Offset int              `json:"offset"`
}

type auditListInput struct {
	Actor  string    `query:"actor" maxLength:"200" doc:"Only this admin's actions"`
	Action string    `query:"action" maxLength:"100" doc:"Only this action" example:"api_key.rotate"`
	Target string    `query:"target" maxLength:"200" doc:"Only actions on this object"`
	From   time.Time `query:"from" doc:"Entries at or after this time (RFC 3339)"`
	To     time.Time `query:"to" doc:"Entries before this time (RFC 3339)"`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"100"`
	Offset int       `query:"offset" minimum:"0"`
}

type auditListOutput struct{ Body AuditList }

func registerAuditLog(hapi huma.API, s *server) {
	huma.Register(hapi, huma.Operation{
		OperationID: "list-audit-log", Method: http.MethodGet, Path: "/admin/audit-log",
		Summary: "Read the audit log", Tags: []string{"admin: audit"}, Security: api.AdminSecurity, Errors: adminErrors,
		Description: "Every admin mutation and login, newest first, with the object before and after (secrets masked).",
	}, func(ctx context.Context, in *auditListInput) (*auditListOutput, error) {
		entries, total, err := s.Store.ListAudit(ctx, store.AuditFilter{
			Actor: in.Actor, Action: in.Action, Target: in.Target, From: in.From, To: in.To,
			Limit: in.Limit, Offset: in.Offset,
		})
		if err != nil {
			return nil, api.ToProblem(err)
		}
		out := &auditListOutput{Body: AuditList{Items: []AuditEntryBody{}, Total: total, Limit: in.Limit, Offset: in.Offset}}
		for _, e := range entries {
			out.Body.Items = append(out.Body.Items, AuditEntryBody{
				ID: e.ID, Time: e.Time, Actor: e.Actor, Action: e.Action, Target: e.Target, IP: e.IP,
				Before: rawOrNull(e.Before), After: rawOrNull(e.After),
			})
		}
		return out, nil
	})
}

func rawOrNull(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

// audit records an admin action by the authenticated admin. before and after
// must already be masked (API bodies are: keys show only their prefix and
// signing secrets are omitted). A failed write is logged, not returned: the
// action has happened.
func (s *server) audit(ctx context.Context, action, target string, before, after any) {
	s.auditAs(ctx, api.CallerFrom(ctx).Admin, action, target, before, after)
}

// auditAs is audit with an explicit actor, for logins and system actions.
func (s *server) auditAs(ctx context.Context, actor, action, target string, before, after any) {
	e := &store.AuditEntry{Time: time.Now().UTC(), Actor: actor, Action: action, Target: target,
		Before: auditJSON(before), After: auditJSON(after)}
	if ip := api.CallerFrom(ctx).IP; ip.IsValid() {
		e.IP = ip.String()
	}
	if err := s.Store.InsertAudit(ctx, e); err != nil {
		s.Log.Error("audit write failed", "action", action, "target", target, "err", err)
	}
}

func auditJSON(v any) string {
	if v == nil {
		return ""
	}
	switch b := v.(type) {
	case APIKeyBody:
		b.SigningSecret = "" // never in the log, whatever the caller passed
		if auth.LooksLikeKey(b.Key) {
			b.Key = auth.MaskKey(b.Key)
		}
		v = b
	}
	out, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(out)
}
