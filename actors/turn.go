package actors

import (
	"context"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// UsageSink takes one usage event per API request. Record must not block: the
// implementation batches writes and flushes them on shutdown.
type UsageSink interface {
	Record(ev *store.UsageEvent)
}

// TurnOptions are what a transport lends the turn pipeline: where usage goes and
// how an error maps to the record's status and stable code (the API's problem
// mapper, so that records and responses agree).
type TurnOptions struct {
	Usage    UsageSink                                 // nil records nothing
	Classify func(err error) (status int, code string) // required when a turn may fail
}

// Turn is one API request on its way through the one turn pipeline:
//
//	BeginTurn (the usage record starts) -> the transport validates, or Refuse
//	-> Admit (the tenant grain runs the policies; the slot is held)
//	-> Run (the conversation grain runs the turn; events stream to the caller;
//	   the grain settles the slot with what the turn spent when it ends)
//	-> on the final event: settle the same ticket (the tenant grain counts it
//	   once; its answer orders the record after the count), then finish the
//	   record, both after the final event was handed to the caller.
//
// The record is finished exactly once whichever way the request ends: refused
// before admission, denied, failed to start, failed or canceled mid-turn
// (including a caller that vanished: the pipeline keeps reading the receiver's
// events after the transport released the stream), or cut by the node stopping.
// Transports never settle and never finish a record themselves.
type Turn struct {
	s     *System
	opt   TurnOptions
	start time.Time

	mu     sync.Mutex
	ev     store.UsageEvent
	ticket *Reservation
	done   bool

	releaseOnce sync.Once
	released    chan struct{}
}

// BeginTurn starts the usage record of one API request; ev names the request
// (key, request id, endpoint, node; a conversation id when one was given). The
// caller must end the turn with Refuse, or with Run and a read or Release of its
// events.
func (s *System) BeginTurn(ev store.UsageEvent, opt TurnOptions) *Turn {
	t := &Turn{s: s, opt: opt, start: time.Now(), released: make(chan struct{})}
	ev.Timestamp = t.start.UTC()
	t.ev = ev
	return t
}

// Start is when the request's record started.
func (t *Turn) Start() time.Time { return t.start }

// SetModel names the model in the record; call it only with a model the gateway
// offers (request input is not copied into records as it came).
func (t *Turn) SetModel(m string) {
	t.mu.Lock()
	t.ev.Model = m
	t.mu.Unlock()
}

// Refuse ends a request that did not run: invalid, denied, or failed before the
// turn started. A held admission slot is released without usage.
func (t *Turn) Refuse(status int, err error) { t.finish(status, nil, err) }

// Admit runs the key's policies on a (see System.Admit). On allow the request
// is counted and its slot is held by the turn until the turn settles; a denial
// comes back as the *Denial error. The decision's rewrites are the caller's to
// apply to the request it runs.
func (t *Turn) Admit(ctx context.Context, a Admission) (Decision, error) {
	a.DryRun = false
	d, ticket, err := t.s.Admit(ctx, a)
	if err != nil {
		return d, err
	}
	if !d.Allow {
		return d, d.Denial
	}
	t.mu.Lock()
	t.ticket = ticket
	t.ev.Admitted = true // counted by admission: the counters' rebuild reads it back
	t.mu.Unlock()
	return d, nil
}

// Run starts the admitted turn and returns its events, which end with exactly
// one Done or Failed (or close early when the node stops). The caller reads them
// until the final event and then, or whenever it stops reading, calls Release;
// the pipeline keeps following the turn to settle and record it. A turn that
// could not start is finished here, and its error returned.
func (t *Turn) Run(ctx context.Context, req ChatRequest) (<-chan Event, error) {
	// The pipeline's own goroutine counts as in flight too: the receiver is done
	// before follow has settled and recorded the turn, and Shutdown's callers
	// flush the usage writer once Shutdown returned.
	err := t.s.begin()
	var in <-chan Event
	if err == nil {
		t.mu.Lock()
		if t.ticket != nil {
			req.ticket = t.ticket.id
		}
		t.mu.Unlock()
		if in, err = t.s.Chat(ctx, req); err != nil {
			t.s.inflight.Done()
		}
	}
	if err != nil {
		status, _ := t.classify(err)
		t.finish(status, nil, err)
		return nil, err
	}
	out := make(chan Event, receiverBuffer)
	go func() {
		defer t.s.inflight.Done()
		t.follow(in, out)
	}()
	return out, nil
}

// Release tells the pipeline that the transport reads no more events; it is safe
// to call more than once and before the stream ended.
func (t *Turn) Release() { t.releaseOnce.Do(func() { close(t.released) }) }

// follow relays the receiver's events to the transport while it reads them,
// observes every event for the record and, once the stream ended, settles and
// finishes the turn: the final event reaches the client without waiting on the
// tenant grain.
func (t *Turn) follow(in <-chan Event, out chan<- Event) {
	open := true
	stop := func() {
		if open {
			close(out)
			open = false
		}
	}
	var final Event
	for ev := range in {
		t.observe(ev)
		switch ev.(type) {
		case Done, Failed:
			final = ev
		}
		if open {
			select {
			case out <- ev:
			case <-t.released:
				stop()
			}
		}
		if final != nil {
			stop()
		}
	}
	stop()
	switch ev := final.(type) {
	case Done:
		t.finish(200, &ev.Result, nil)
	case Failed:
		status, _ := t.classify(ev.Err)
		t.finish(status, &Result{Usage: ev.Usage, CostUSD: ev.CostUSD}, ev.Err)
	default:
		// The stream closed without a final event (the receiver hit its limit or
		// the node stopped): the slot is settled all the same.
		t.finish(499, nil, context.Canceled)
	}
}

func (t *Turn) observe(ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch ev := ev.(type) {
	case Started:
		t.ev.ConversationID = ev.ConversationID
	case Delta:
		if t.ev.TTFTMS == 0 {
			t.ev.TTFTMS = max(time.Since(t.start).Milliseconds(), 1)
		}
	}
}

func (t *Turn) classify(err error) (int, string) {
	if t.opt.Classify == nil {
		return 500, "internal"
	}
	return t.opt.Classify(err)
}

// finish settles the slot and hands the record over, once; res carries the
// usage of a finished turn, or what a failed one spent.
func (t *Turn) finish(status int, res *Result, err error) {
	t.mu.Lock()
	if t.done {
		t.mu.Unlock()
		return
	}
	t.done = true
	ticket := t.ticket
	ev := t.ev
	t.mu.Unlock()
	// Settle before the event is recorded: a tenant grain rebuilding its counters
	// answers the settle only after reading the store, so the event is never
	// counted twice.
	if res != nil {
		ticket.Settle(res.Usage, res.CostUSD)
	} else {
		ticket.Settle(Usage{}, 0)
	}
	if status >= 500 && err != nil {
		t.s.log.Error("turn failed", "request_id", ev.RequestID, "api_key_id", ev.APIKeyID, "status", status, "err", err.Error())
	}
	if t.opt.Usage == nil {
		return
	}
	ev.StatusCode = status
	ev.ResponseTimeMS = time.Since(t.start).Milliseconds()
	if res != nil {
		if res.ConversationID != "" {
			ev.ConversationID = res.ConversationID
		}
		ev.RequestTokens = res.Usage.InputTokens + res.Usage.CacheReadInputTokens + res.Usage.CacheCreationInputTokens
		ev.ResponseTokens = res.Usage.OutputTokens
		ev.TotalTokens = res.Usage.Total()
		ev.CacheReadInputTokens = res.Usage.CacheReadInputTokens
		ev.CacheCreationInputTokens = res.Usage.CacheCreationInputTokens
		ev.CostUSD = res.CostUSD
	}
	if err != nil {
		_, ev.Error = t.classify(err)
	}
	t.opt.Usage.Record(&ev)
}
