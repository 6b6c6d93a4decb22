package actors

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
)

// Grain calls. protoactor's own cluster.Request gives each try the whole timeout:
// a request sent to a member that then crashed (or had crashed before the
// cluster noticed) waits out the timeout when the dead host does not refuse
// connections, and its retries go to the dead member until the cluster notices
// (docs/cluster.md, "Failover measured"). The helpers
// here abandon a try as soon as the cluster declares the member hosting its
// target dead: the PID cache entry is dropped, the identity is resolved again
// (protoactor has already placed it on the survivors, where it activates) and the
// request is sent again, as often as the caller's context allows.
//
// A retried request may reach a grain that got the first try after all (its
// member was alive, the answer was lost): the grains are idempotent per request.
// A conversation grain remembers recent turn request ids (a repeated one is
// acknowledged without running the turn again), a tenant grain recent tickets.

// errMemberDied ends a try whose target's member was declared dead.
var errMemberDied = errors.New("actors: the member hosting the grain was declared dead")

// errDeadLetter ends a try whose target does not exist (a grain that passivated,
// or an endpoint that cannot be reached): the identity is resolved again.
var errDeadLetter = errors.New("actors: the grain's PID is gone")

// retryBackoff bounds the wait between tries: 10 ms after a member's death (the
// topology has changed already), doubling to 0.5 s while tries end in dead
// letters or an identity cannot be placed right now. A death ends the wait.
const (
	retryBackoffMin = 10 * time.Millisecond
	retryBackoffMax = 500 * time.Millisecond
)

// deathWatch follows which actor addresses (members' endpoints) the cluster has
// declared dead or dropped from its topology. A try waits on its target's
// address; a resolve (which may itself wait on a dead member's activator) waits
// on any death.
type deathWatch struct {
	mu   sync.Mutex
	gone map[string]bool          // addresses dropped from the topology (dead or departed)
	dead map[string]chan struct{} // per address: closed once its member is declared dead
	any  chan struct{}            // closed and replaced at every death
}

func newDeathWatch() *deathWatch {
	return &deathWatch{gone: map[string]bool{}, dead: map[string]chan struct{}{}, any: make(chan struct{})}
}

// topology records protoactor's view: members that left are gone; a member that
// joins at an address seen before (a node restarted on the same port, under a new
// member id) is live again.
func (w *deathWatch) topology(t *pcluster.ClusterTopology) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range t.Left {
		w.gone[m.Address()] = true
	}
	for _, m := range t.Joined {
		addr := m.Address()
		delete(w.gone, addr)
		if ch, ok := w.dead[addr]; ok && closed(ch) {
			delete(w.dead, addr)
		}
	}
}

// died records that the member at addr was declared dead: the tries waiting on
// it, and every resolve in progress, give up and start over.
func (w *deathWatch) died(addr string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gone[addr] = true
	ch, ok := w.dead[addr]
	if !ok {
		ch = make(chan struct{})
		w.dead[addr] = ch
	}
	if !closed(ch) {
		close(ch)
	}
	close(w.any)
	w.any = make(chan struct{})
}

// member returns a channel closed once the member at addr is declared dead.
func (w *deathWatch) member(addr string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	ch, ok := w.dead[addr]
	if !ok {
		ch = make(chan struct{})
		w.dead[addr] = ch
	}
	return ch
}

// anyDeath returns a channel closed at the next death of any member.
func (w *deathWatch) anyDeath() <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.any
}

// isGone reports whether addr left the topology (dead or departed).
func (w *deathWatch) isGone(addr string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone[addr]
}

func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// request sends msg to the grain identity of kind and returns its answer, trying
// again on another member whenever the one a try went to is declared dead, until
// ctx ends. A try's late answer (from a member declared dead that was only slow)
// is ignored: each try has its own relay.
func (s *System) request(ctx context.Context, identity, kind string, msg any) (any, error) {
	res, _, err := s.requestFrom(ctx, identity, kind, msg)
	return res, err
}

// requestFrom is request that also returns the PID that answered.
func (s *System) requestFrom(ctx context.Context, identity, kind string, msg any) (any, *actor.PID, error) {
	backoff := retryBackoffMin
	var last error
	for tries := 1; ; tries++ {
		anyDeath := s.deaths.anyDeath()
		pid, err := s.resolve(ctx, identity, kind, true, anyDeath)
		if err == nil {
			var res any
			if res, err = s.try(ctx, pid, msg); err == nil {
				return res, pid, nil
			}
			s.cl.PidCache.RemoveByValue(identity, kind, pid)
		}
		if ctx.Err() != nil {
			if !errors.Is(err, ctx.Err()) {
				last = err
			}
			return nil, nil, giveUp(ctx, kind, identity, tries, last)
		}
		last = err
		if errors.Is(err, errMemberDied) {
			s.log.Info("grain call sent again: the member it went to was declared dead", "kind", kind, "identity", identity, "member", pid.Address, "try", tries)
		}
		if errors.Is(err, errMemberDied) || errors.Is(err, errMemberMoved) {
			backoff = retryBackoffMin // the topology has changed already
		}
		s.pause(ctx, backoff)
		backoff = min(2*backoff, retryBackoffMax)
	}
}

// pause waits before the next try: for d, or until a member dies (the topology
// changed: resolve again at once), or ctx ends.
func (s *System) pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-s.deaths.anyDeath():
	case <-t.C:
	}
}

// ask is request with the answer's type checked.
func ask[T any](ctx context.Context, s *System, identity, kind string, msg any) (T, error) {
	var zero T
	res, err := s.request(ctx, identity, kind, msg)
	if err != nil {
		return zero, err
	}
	t, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("actors: %s %s: unexpected answer %T", kind, identity, res)
	}
	return t, nil
}

// tell sends msg to the grain identity of kind without waiting for an answer. The
// identity is resolved afresh (activating the grain when it is not running), and
// again whenever a member dies meanwhile, within timeout; the message is not sent
// again once it was handed over.
func (s *System) tell(identity, kind string, msg any, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	backoff := retryBackoffMin
	for {
		anyDeath := s.deaths.anyDeath()
		pid, err := s.resolve(ctx, identity, kind, false, anyDeath)
		if err == nil {
			s.sys.Root.Send(pid, msg)
			return nil
		}
		if ctx.Err() != nil {
			if errors.Is(err, ctx.Err()) {
				err = nil
			}
			return giveUp(ctx, kind, identity, 0, err)
		}
		if errors.Is(err, errMemberMoved) {
			backoff = retryBackoffMin
		}
		s.pause(ctx, backoff)
		backoff = min(2*backoff, retryBackoffMax)
	}
}

// giveUp is the error of a call whose context ended: it wraps ctx's error (a
// deadline maps to a timeout upstream) and names the last try's failure.
func giveUp(ctx context.Context, kind, identity string, tries int, last error) error {
	err := fmt.Errorf("actors: %s %s: %w", kind, identity, ctx.Err())
	if tries > 1 {
		err = fmt.Errorf("%w after %d tries", err, tries)
	}
	if last != nil {
		err = fmt.Errorf("%w (last: %v)", err, last)
	}
	return err
}

// errMemberMoved ends a resolve interrupted by a member's death (the placement
// it waited for may have been on that member).
var errMemberMoved = errors.New("actors: a member died while the grain was being placed")

// errNotPlaced: the identity could not be placed (its member's activator did not
// answer or is unreachable); the caller retries after a backoff.
var errNotPlaced = errors.New("actors: the grain could not be placed")

// resolve returns the PID of the grain identity of kind: the cached one when
// cached is set and its member was not dropped from the topology, else the one
// protoactor's placement gives (activating the grain). The placement asks the
// owning member's activator and may wait on a member that just died: a death
// (anyDeath closes) abandons it with errMemberMoved.
func (s *System) resolve(ctx context.Context, identity, kind string, cached bool, anyDeath <-chan struct{}) (*actor.PID, error) {
	if cached {
		if pid, ok := s.cl.PidCache.Get(identity, kind); ok && pid != nil {
			if !s.deaths.isGone(pid.Address) {
				return pid, nil
			}
			s.cl.PidCache.RemoveByValue(identity, kind, pid)
		}
	}
	got := make(chan *actor.PID, 1)
	go func() { got <- s.cl.Get(identity, kind) }()
	select {
	case pid := <-got:
		if pid == nil {
			return nil, errNotPlaced
		}
		if s.deaths.isGone(pid.Address) { // placed by a topology that has changed since
			return nil, errMemberMoved
		}
		if cached {
			s.cl.PidCache.Set(identity, kind, pid)
		}
		return pid, nil
	case <-anyDeath:
		return nil, errMemberMoved
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// try sends msg to pid through a relay of its own and waits for the answer, the
// death of pid's member (errMemberDied), a dead letter (errDeadLetter) or the end
// of ctx. The relay stops when the try ends, so a late answer goes nowhere.
func (s *System) try(ctx context.Context, pid *actor.PID, msg any) (any, error) {
	dead := s.deaths.member(pid.Address)
	if closed(dead) {
		return nil, errMemberDied
	}
	answer := make(chan any, 1)
	relay := s.sys.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return relayActor(answer) }))
	defer s.sys.Root.Stop(relay)
	s.sys.Root.RequestWithCustomSender(pid, msg, relay)
	select {
	case res := <-answer:
		if _, ok := res.(*actor.DeadLetterResponse); ok {
			return nil, errDeadLetter
		}
		return res, nil
	case <-dead:
		return nil, errMemberDied
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// relayActor hands the first answer it receives to its try.
type relayActor chan<- any

func (r relayActor) Receive(c actor.Context) {
	switch c.Message().(type) {
	case actor.SystemMessage, actor.AutoReceiveMessage:
		return
	}
	select {
	case r <- c.Message():
	default: // a second answer: the first one counts
	}
}
