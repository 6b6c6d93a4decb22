package usage

import (
	"sync"

	"github.com/ccgateway/ccgateway/internal/store"
)

// hub fans recorded events out to live subscribers. A subscriber that does not
// keep up misses events (counted in its Missed) rather than slowing requests.
type hub struct {
	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

// Subscription is one live feed of recorded events.
type Subscription struct {
	// C delivers events; it is closed when the subscription ends.
	C <-chan store.UsageEvent

	c      chan store.UsageEvent
	h      *hub
	mu     sync.Mutex
	missed int64
	closed bool
}

// Subscribe starts a live feed with room for buf events; call Close when done.
func (w *Writer) Subscribe(buf int) *Subscription {
	if buf < 1 {
		buf = 256
	}
	s := &Subscription{c: make(chan store.UsageEvent, buf), h: &w.hub}
	s.C = s.c
	w.hub.mu.Lock()
	if w.hub.subs == nil {
		w.hub.subs = map[*Subscription]struct{}{}
	}
	w.hub.subs[s] = struct{}{}
	w.hub.mu.Unlock()
	return s
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

func (h *hub) publish(ev *store.UsageEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		s.send(*ev)
	}
}

func (h *hub) closeAll() {
	h.mu.Lock()
	subs := h.subs
	h.subs = nil
	h.mu.Unlock()
	for s := range subs {
		s.end()
	}
}
