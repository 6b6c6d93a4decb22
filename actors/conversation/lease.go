package conversation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// ErrOwnedElsewhere means this node must not run the conversation's CLI: another
// owner holds its lease, or this node lost the lease while the turn ran.
var ErrOwnedElsewhere = errors.New("conversation: owned by another node")

// OwnedElsewhereError is ErrOwnedElsewhere with the time after which a retry may
// succeed: the lease's TTL, the longest an owner that stopped renewing keeps it.
type OwnedElsewhereError struct {
	RetryAfter time.Duration
	Reason     string
}

func (e *OwnedElsewhereError) Error() string {
	return fmt.Sprintf("conversation: %s", e.Reason)
}

// Is makes errors.Is(err, ErrOwnedElsewhere) hold.
func (e *OwnedElsewhereError) Is(target error) bool { return target == ErrOwnedElsewhere }

// LeaseConfig says who this node is to the store and how long its leases last.
type LeaseConfig struct {
	Owner string        // this node's actor system id; new at each start
	TTL   time.Duration // a lease not renewed for this long lapses
	Renew time.Duration // renewal interval, less than TTL
	// Wait is how long Acquire keeps retrying a lease another owner holds before it
	// gives up (0: no retry). In a cluster it covers a handover: a leaving node
	// releases its leases once its turns drained, and a dead node's leases are
	// taken over as soon as the cluster declares it dead.
	Wait time.Duration
	// Verify makes Acquire confirm a lease it holds with the store before every
	// turn (one UPDATE), instead of trusting its own table until the next renewal:
	// in a cluster another node may have taken the lease over (this node was
	// declared dead), and this node must then not start a turn on its old process.
	Verify bool
}

// Leases keeps this node's conversation leases (store rows with a fencing token):
// a grain acquires its lease before its CLI runs, a renewer goroutine per lease
// extends it while the grain lives, and the grain releases it when it stops. The
// table exists because protoactor does not stop grains at shutdown: Close releases
// whatever is still held. It is safe for concurrent use.
type Leases struct {
	st  store.Store
	cfg LeaseConfig
	log *slog.Logger

	mu     sync.Mutex
	held   map[string]*held
	closed bool
	wg     sync.WaitGroup // renewers
}

// held is one lease and its renewer.
type held struct {
	l      store.Lease
	stop   context.CancelFunc
	onLost func()
}

// NewLeases returns an empty lease table.
func NewLeases(st store.Store, cfg LeaseConfig, log *slog.Logger) *Leases {
	return &Leases{st: st, cfg: cfg, log: log, held: map[string]*held{}}
}

// Acquire makes sure this node holds the conversation's lease. fresh reports a new
// acquisition (a new fencing token): any process kept from before must not be
// trusted, since another owner may have run turns meanwhile. onLost is called once,
// from the renewer, if a renewal finds the lease taken over or gone.
func (ls *Leases) Acquire(ctx context.Context, convID string, onLost func()) (fresh bool, err error) {
	// Only the conversation's own grain acquires its lease, one turn at a time, so
	// the store round trip runs outside the lock.
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		return false, ls.shuttingDown()
	}
	if h := ls.held[convID]; h != nil {
		if time.Now().Before(h.l.ExpiresAt) && !ls.cfg.Verify {
			ls.mu.Unlock()
			return false, nil
		}
		if time.Now().Before(h.l.ExpiresAt) {
			l := h.l
			ls.mu.Unlock()
			err := ls.st.RenewLease(ctx, &l, ls.cfg.TTL)
			if err == nil {
				ls.mu.Lock()
				h.l.ExpiresAt = l.ExpiresAt
				ls.mu.Unlock()
				return false, nil
			}
			if !errors.Is(err, store.ErrLeaseHeld) && !errors.Is(err, store.ErrNotFound) {
				return false, fmt.Errorf("conversation: verify lease: %w", err)
			}
			ls.Lost(convID) // taken over: acquire anew below (a fresh lease)
			ls.mu.Lock()
		} else {
			h.stop() // lapsed without a renewal: acquire anew below
			delete(ls.held, convID)
		}
	}
	ls.mu.Unlock()
	l, err := ls.st.AcquireLease(ctx, convID, ls.cfg.Owner, ls.cfg.TTL)
	for wait, until := 50*time.Millisecond, time.Now().Add(ls.cfg.Wait); errors.Is(err, store.ErrLeaseHeld) && time.Now().Before(until); wait = min(2*wait, time.Second) {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("conversation: acquire lease: %w", ctx.Err())
		case <-time.After(min(wait, time.Until(until))):
		}
		l, err = ls.st.AcquireLease(ctx, convID, ls.cfg.Owner, ls.cfg.TTL)
	}
	if errors.Is(err, store.ErrLeaseHeld) {
		return false, &OwnedElsewhereError{RetryAfter: ls.cfg.TTL, Reason: "another node runs this conversation"}
	}
	if err != nil {
		return false, fmt.Errorf("conversation: acquire lease: %w", err)
	}
	rctx, stop := context.WithCancel(context.Background())
	h := &held{l: *l, stop: stop, onLost: onLost}
	ls.mu.Lock()
	if ls.closed {
		ls.mu.Unlock()
		ls.release(convID, h)
		return false, ls.shuttingDown()
	}
	ls.held[convID] = h
	ls.wg.Add(1)
	ls.mu.Unlock()
	go ls.renew(rctx, convID, h)
	return true, nil
}

func (ls *Leases) shuttingDown() error {
	return &OwnedElsewhereError{RetryAfter: ls.cfg.TTL, Reason: "this node is shutting down"}
}

// renew extends h every Renew interval until stopped. A lease taken over or gone,
// or one that would lapse before the next try because the store keeps failing, is
// lost: it leaves the table and onLost runs.
func (ls *Leases) renew(ctx context.Context, convID string, h *held) {
	defer ls.wg.Done()
	t := time.NewTicker(ls.cfg.Renew)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ls.mu.Lock()
		l := h.l
		ls.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, ls.cfg.Renew)
		err := ls.st.RenewLease(rctx, &l, ls.cfg.TTL)
		cancel()
		switch {
		case err == nil:
			ls.mu.Lock()
			h.l.ExpiresAt = l.ExpiresAt
			ls.mu.Unlock()
			continue
		case ctx.Err() != nil:
			return
		case errors.Is(err, store.ErrLeaseHeld), errors.Is(err, store.ErrNotFound),
			time.Until(l.ExpiresAt) < ls.cfg.Renew:
		default:
			ls.log.Warn("conversation lease renewal failed; retrying", "conversation", convID, "err", err)
			continue
		}
		ls.log.Warn("conversation lease lost", "conversation", convID, "err", err)
		ls.mu.Lock()
		if ls.held[convID] == h {
			delete(ls.held, convID)
		}
		ls.mu.Unlock()
		h.onLost()
		return
	}
}

// Release stops the renewer and ends the lease in the store, so another node may
// take the conversation at once. A lease not held is a no-op.
func (ls *Leases) Release(convID string) {
	ls.mu.Lock()
	h := ls.held[convID]
	delete(ls.held, convID)
	ls.mu.Unlock()
	if h != nil {
		ls.release(convID, h)
	}
}

func (ls *Leases) release(convID string, h *held) {
	h.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := ls.st.ReleaseLease(ctx, &h.l); err != nil && !errors.Is(err, store.ErrNotFound) {
		ls.log.Warn("release conversation lease", "conversation", convID, "err", err)
	}
}

// Close refuses further acquisitions, releases every lease still held and waits for
// the renewers. Call it after the node's processes are ended.
func (ls *Leases) Close() {
	ls.mu.Lock()
	ls.closed = true
	all := ls.held
	ls.held = map[string]*held{}
	ls.mu.Unlock()
	for id, h := range all {
		ls.release(id, h)
	}
	ls.wg.Wait()
}

// Fence returns the lease this node holds on the conversation, for a store write
// that must be fenced (CommitTurn); ok is false when none is held.
func (ls *Leases) Fence(convID string) (l store.Lease, ok bool) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if h := ls.held[convID]; h != nil {
		return h.l, true
	}
	return store.Lease{}, false
}

// Lost forgets a lease that a fenced write found taken over: its renewer stops,
// and the store row (no longer this node's) is left alone.
func (ls *Leases) Lost(convID string) {
	ls.mu.Lock()
	h := ls.held[convID]
	delete(ls.held, convID)
	ls.mu.Unlock()
	if h != nil {
		h.stop()
	}
}

// Held reports whether this node holds the conversation's lease.
func (ls *Leases) Held(convID string) bool {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.held[convID] != nil
}
