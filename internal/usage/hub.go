package usage

import (
	"sync"

	"github.com/ccgateway/ccgateway/internal/store"
)

// Hub fans events out to live subscribers. A subscriber that does not keep up
// misses events (counted in its Missed) rather than slowing the publisher. The
// zero Hub is ready to use. The Writer publishes the events it records to its
// own; a cluster node publishes the other nodes' events to another
// (actors.System's cluster feed).
type Hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription is one live feed of recorded events.
type Subscription struct {
	// C delivers events; it is closed when the subscription ends.
	C <-chan store.UsageEvent

	c      chan store.UsageEvent
	h      *Hub
	mu     sync.Mutex
	missed int64
	closed bool
}

// Subscribe starts a live feed of the events this writer records, with room for
// buf events; call Close when done.
func (w *Writer) Subscribe(buf int) *Subscription { return w.hub.Subscribe(buf) }

// Subscribe starts a live feed with room for buf events (256 when buf < 1); call
// Close when done.
func (h *Hub) Subscribe(buf int) *Subscription {
	if buf < 1 {
		buf = 256
	}
	s := &Subscription{c: make(chan store.UsageEvent, buf), h: h}
	s.C = s.c
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[*Subscription]struct{}{}
	}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	return s
}

// Subscribers returns how many subscriptions are open.
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Missed returns how many events the subscriber was too slow to receive.
func (s *Subscription) Missed() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.missed
}

// Close ends the subscription and closes C.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	delete(s.h.subs, s)
	s.h.mu.Unlock()
	s.end()
}

func (s *Subscription) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.c)
	}
}

func (s *Subscription) send(ev store.UsageEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	select {
	case s.c <- ev:
	default:
		s.missed++
	}
}

// Publish hands ev to every subscriber that has room for it; it never blocks.
func (h *Hub) Publish(ev *store.UsageEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.send(*ev)
	}
}

// AddMissed counts n events as missed by every subscriber (events lost before
// they reached the hub).
func (h *Hub) AddMissed(n int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.mu.Lock()
		s.missed += n
		s.mu.Unlock()
	}
}

// CloseAll ends every subscription (their C close).
func (h *Hub) CloseAll() {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.mu.Unlock()
	for s := range subs {
		s.end()
	}
}
