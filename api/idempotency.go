package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/ccgateway/ccgateway/internal/idempotency"
	"github.com/ccgateway/ccgateway/internal/store"
)

// Problem codes of the Idempotency-Key header; the first four are
// internal/idempotency's refusals (the integration tests compare them).
const (
	CodeIdempotencyKeyInvalid    = "idempotency_key_invalid"     // 400
	CodeIdempotencyKeyInProgress = "idempotency_key_in_progress" // 409
	CodeIdempotencyKeyReused     = "idempotency_key_reused"      // 422
	CodeIdempotencyUnavailable   = "idempotency_unavailable"     // 503
	CodeIdempotencyKeyStream     = "idempotency_key_with_stream" // 400
)

// MetaIdempotent is the Operation.Metadata key of an Idempotent create.
const MetaIdempotent = "ccgateway-idempotent"

// Idempotent says how a create takes an Idempotency-Key.
type Idempotent struct {
	// Streams marks a body that may ask for a stream ("stream": true). A stream
	// is refused with a key (400 idempotency_key_with_stream): it cannot be
	// replayed, and one cut short would leave a retry nothing to return.
	Streams bool
	// Redact rewrites a successful answer before it is kept (a secret must
	// never be stored); the replay then has the redacted body. nil keeps
	// nothing (the key is released).
	Redact func(body []byte) []byte
}

// IdempotentOperation marks op as a create that takes an Idempotency-Key, and
// documents the header, the replay marker and the refusals. Call it before
// huma.Register.
func IdempotentOperation(op *huma.Operation, how Idempotent) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[MetaIdempotent] = how
	one, most := 1, 255
	desc := "Makes a retry safe: a request with the same key and the same body within 24 hours gets the first one's answer " +
		"(status, body and its headers, marked Idempotent-Replayed: true) without running again; the same key with another body " +
		"is refused (422 idempotency_key_reused), and so is a retry while the first still runs (409 idempotency_key_in_progress). " +
		"Keys belong to the caller: another API key or admin with the same value has its own. Answers a retry may fix (429, 5xx) are not kept."
	if how.Streams {
		desc += " Not with stream: true (400 idempotency_key_with_stream): a stream is not replayed."
	}
	op.Parameters = append(op.Parameters, &huma.Param{
		Name: idempotency.Header, In: "header", Description: desc, Example: "3f1c9a0b-2d4e-4f60-8718-293a4b5c6d7e",
		Schema: &huma.Schema{Type: "string", MinLength: &one, MaxLength: &most, Pattern: "^[\\x21-\\x7e]+$"},
	})
	op.Errors = slices.Clone(op.Errors) // it may share an array with other operations
	for _, status := range []int{http.StatusBadRequest, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusServiceUnavailable} {
		if !slices.Contains(op.Errors, status) {
			op.Errors = append(op.Errors, status)
		}
	}
}

// idempotent is the huma middleware of Idempotent operations: a request with
// an Idempotency-Key is claimed in the store before it runs, scoped to its
// caller (the API key's id, or "admin:" and the admin), and its final answer is
// kept for a day; see internal/idempotency. A replay runs no handler: for a key
// operation the kernel records it as one usage event with its status and no
// tokens, not counted by admission.
func (s *Server) idempotent(ctx huma.Context, next func(huma.Context)) {
	how, ok := ctx.Operation().Metadata[MetaIdempotent].(Idempotent)
	key := ctx.Header(idempotency.Header)
	scope := callerScope(ctx)
	if !ok || key == "" || scope == "" || s.idem == nil {
		next(ctx)
		return
	}
	r, w := humachi.Unwrap(ctx)
	body, err := io.ReadAll(io.LimitReader(r.Body, int64(s.idem.MaxBody())+1))
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		next(ctx) // the operation meets the same read error and answers it
		return
	}
	if how.Streams && streamRequested(body) {
		WriteProblem(ctx, NewProblem(http.StatusBadRequest, CodeIdempotencyKeyStream,
			"an Idempotency-Key is not accepted with stream: true (a stream is not replayed); send the request without one, or without stream"))
		return
	}
	claim, prev, refusal := s.idem.Check(ctx.Context(), idempotency.Request{
		Scope: scope, Operation: ctx.Operation().OperationID, Key: key, Method: r.Method, Path: r.URL.Path, Body: body})
	switch {
	case refusal != nil:
		p := NewProblem(refusal.Status, refusal.Code, refusal.Detail)
		if refusal.Status == http.StatusConflict || refusal.Status == http.StatusServiceUnavailable {
			p = p.withRetryAfter(time.Second)
		}
		WriteProblem(ctx, p)
		return
	case prev != nil:
		replay(ctx, prev)
		return
	}
	before := w.Header().Clone()
	rec := &recordingContext{humaContext: ctx, max: s.idem.MaxBody()}
	defer func() {
		if v := recover(); v != nil {
			claim.Release(ctx.Context())
			panic(v)
		}
	}()
	next(rec)
	out, cut := rec.body.Bytes(), rec.overflow || ctx.Context().Err() != nil
	if how.Redact != nil && rec.status < 300 && !cut {
		out = how.Redact(out)
		cut = out == nil
	}
	claim.Finish(ctx.Context(), idempotency.Answer{Status: rec.status, Header: setSince(before, w.Header()), Body: out, Cut: cut})
}

// callerScope names whose Idempotency-Keys a request's are: its API key, or its admin.
func callerScope(ctx huma.Context) string {
	if k := KeyFrom(ctx.Context()); k != nil {
		return k.ID
	}
	if c := CallerFrom(ctx.Context()); c.Admin != "" {
		return "admin:" + c.Admin
	}
	return ""
}

// streamRequested reports whether a JSON body asks for a stream.
func streamRequested(body []byte) bool {
	var b struct {
		Stream bool `json:"stream"`
	}
	_ = json.Unmarshal(body, &b)
	return b.Stream
}

// setSince returns the headers of after that are new or changed since before:
// those of the answer, not those the router's middleware set for this exchange.
func setSince(before, after http.Header) http.Header {
	out := http.Header{}
	for k, v := range after {
		if old, ok := before[k]; !ok || !equalValues(old, v) {
			out[k] = v
		}
	}
	return out
}

func equalValues(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// replay answers with a kept record, marked Idempotent-Replayed: true.
func replay(ctx huma.Context, rec *store.IdempotencyRecord) {
	for k, vs := range rec.Header {
		for i, v := range vs {
			if i == 0 {
				ctx.SetHeader(k, v)
			} else {
				ctx.AppendHeader(k, v)
			}
		}
	}
	ctx.SetHeader(idempotency.ReplayedHeader, "true")
	ctx.SetStatus(rec.Status)
	_, _ = ctx.BodyWriter().Write(rec.Body)
}
