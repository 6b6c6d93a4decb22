package api

import (
	"strconv"
	"sync"
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
// the node's view of the window when it is fresh, else from the key's tenant
// grain. A key without a requests-per-minute limit gets none,
// and neither does a request whose grain does not answer.
func (s *Server) withRateLimit(ctx huma.Context, k *store.APIKey) huma.Context {
	limit := k.UsageLimit.RequestsPerMinute
	if limit <= 0 || s.Actors == nil {
		return ctx
	}
	h := &startHook{humaContext: ctx}
	h.fn = func() {
		w := CallerFrom(ctx.Context()).Window
		if w != nil && time.Since(w.At) <= windowFresh {
			s.windows.put(k.ID, *w)
		} else if got, ok := s.windows.get(k.ID); ok {
			w = &got
		} else {
			got, err := s.Actors.MinuteWindow(ctx.Context(), k.ID)
			if err != nil {
				s.Log.Debug("no RateLimit fields: the key's window is unknown", "api_key_id", k.ID, "err", err)
				return
			}
			s.windows.put(k.ID, got)
			w = &got
		}
		for name, v := range rateLimitFields(limit, *w, time.Now()) {
			ctx.SetHeader(name, v)
		}
	}
	return h
}

// windowCache keeps each key's latest minute window for windowFresh, so that
// a burst of reads costs one grain request a second (one takes about 80 µs, as
// much as the rest of a read): a read shows the window of at most a second ago,
// which is what admission's own view of a long turn shows too. Admissions on this
// node refresh it; those on other nodes of a cluster show within a second.
type windowCache struct {
	mu sync.Mutex
	m  map[string]actors.MinuteWindow
}

func (c *windowCache) get(keyID string) (actors.MinuteWindow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[keyID]
	return w, ok && time.Since(w.At) <= windowFresh
}

func (c *windowCache) put(keyID string, w actors.MinuteWindow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= 10000 {
		c.m = map[string]actors.MinuteWindow{}
	}
	if old, ok := c.m[keyID]; !ok || !old.At.After(w.At) {
		c.m[keyID] = w
	}
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
