package api

import (
	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/internal/idempotency"
)

// responseHeaders are the reusable header definitions (components/headers) of
// the fields the kernel adds to responses.
var responseHeaders = map[string]*huma.Header{
	HeaderRateLimitLimit: {Description: "The calling key's requests-per-minute limit (draft-ietf-httpapi-ratelimit-headers-06). " +
		"Sent only for a key with such a limit.", Schema: &huma.Schema{Type: "integer", Minimum: floatPtr(1)}},
	HeaderRateLimitRemaining: {Description: "Requests the key may still make in the current 60-second sliding window " +
		"(draft-ietf-httpapi-ratelimit-headers-06); 0 when the next one would be refused.", Schema: &huma.Schema{Type: "integer", Minimum: floatPtr(0)}},
	HeaderRateLimitReset: {Description: "Seconds until the oldest request counted in the window leaves it, so that Remaining grows " +
		"(draft-ietf-httpapi-ratelimit-headers-06); 0 when the window is empty.", Schema: &huma.Schema{Type: "integer", Minimum: floatPtr(0)}},
	idempotency.ReplayedHeader: {Description: "true on an answer replayed for a repeated Idempotency-Key; absent on the first one.",
		Schema: &huma.Schema{Type: "string", Enum: []any{"true"}}},
}

func floatPtr(f float64) *float64 { return &f }

// replayable reports whether an answer with status may be kept for a key and
// replayed: a success or a refusal of the request itself, not a failed
// authentication (checked before the key), a 429 or a 5xx (never kept).
func replayable(status string) bool {
	return (status[0] == '2' || status[0] == '4') && status != "401" && status != "429"
}

// documentResponseHeaders declares, on every operation of oapi, the response
// fields the kernel adds: the RateLimit fields on every answer of a key
// operation, and Idempotent-Replayed on the answers of an Idempotent create that
// may be replayed. A "default" response (the compatible dialects' errors) is
// left as it is, although its answers carry the fields too: ogen's client does
// not compile headers on a default response that other statuses share.
func documentResponseHeaders(oapi *huma.OpenAPI) {
	if oapi.Components.Headers == nil {
		oapi.Components.Headers = map[string]*huma.Header{}
	}
	for name, h := range responseHeaders {
		oapi.Components.Headers[name] = h
	}
	ref := func(name string) *huma.Param { return &huma.Param{Ref: "#/components/headers/" + name} }
	for _, item := range oapi.Paths {
		for _, op := range []*huma.Operation{item.Get, item.Put, item.Post, item.Delete, item.Patch} {
			if op == nil {
				continue
			}
			_, idem := op.Metadata[MetaIdempotent].(Idempotent)
			keyOp := requires(op, schemeAPIKey)
			for status, resp := range op.Responses {
				if resp.Ref != "" || status == "default" || (!keyOp && !(idem && replayable(status))) {
					continue
				}
				if resp.Headers == nil {
					resp.Headers = map[string]*huma.Param{}
				}
				if keyOp {
					for _, name := range []string{HeaderRateLimitLimit, HeaderRateLimitRemaining, HeaderRateLimitReset} {
						resp.Headers[name] = ref(name)
					}
				}
				if idem && replayable(status) {
					resp.Headers[idempotency.ReplayedHeader] = ref(idempotency.ReplayedHeader)
				}
			}
		}
	}
}
