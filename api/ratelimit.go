package api

import (
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/internal/store"
)

// The rate-limit fields of draft-ietf-httpapi-ratelimit-headers-06 (the last
// draft with one field per value), sent on the answers to a key that has a
// requests-per-minute limit.
const (
	HeaderRateLimitLimit     = "RateLimit-Limit"
	HeaderRateLimitRemaining = "RateLimit-Remaining"
	HeaderRateLimitReset     = "RateLimit-Reset"
)

// windowFresh is how old admission's view of the window may be and still be
// sent: a turn answered as one JSON document starts its response when the turn
// ends, and by then other requests may have come and gone.
const windowFresh = time.Second

// withRateLimit makes the response to key k carry the RateLimit fields of its
// requests-per-minute window, set just before the response starts. They come
// from admission when it ran for this request (no extra grain call), else from
// the key's tenant grain. A key without a requests-per-minute limit gets none,
// and neither does a request whose grain does not answer.
func (s *Server) withRateLimit(ctx huma.Context, k *store.APIKey) huma.Context {
	limit := k.UsageLimit.RequestsPerMinute
	if limit <= 0 || s.Actors == nil {
		return ctx
	}
	h := &startHook{humaContext: ctx}
	h.fn = func() {
		w := CallerFrom(ctx.Context()).Window
		if w == nil || time.Since(w.At) > windowFresh {
			got, err := s.Actors.MinuteWindow(ctx.Context(), k.ID)
			if err != nil {
				s.Log.Debug("no RateLimit fields: the key's window is unknown", "api_key_id", k.ID, "err", err)
				return
			}
			w = &got
		}
		for name, v := range rateLimitFields(limit, *w, time.Now()) {
			ctx.SetHeader(name, v)
		}
	}
	return h
}

// rateLimitFields are the RateLimit fields of window w of a key allowed limit
// requests a minute, at now: Remaining never goes below 0, and Reset is the
// whole seconds until the oldest counted request leaves the window (rounded up,
// so that a client waiting that long finds a free slot; 0 when none is counted).
func rateLimitFields(limit int64, w actors.MinuteWindow, now time.Time) map[string]string {
	reset := w.Reset - now.Sub(w.At)
	secs := int64(0)
	if reset > 0 {
		secs = int64((reset + time.Second - 1) / time.Second)
	}
	return map[string]string{
		HeaderRateLimitLimit:     strconv.FormatInt(limit, 10),
		HeaderRateLimitRemaining: strconv.FormatInt(max(limit-w.Requests, 0), 10),
		HeaderRateLimitReset:     strconv.FormatInt(secs, 10),
	}
}
