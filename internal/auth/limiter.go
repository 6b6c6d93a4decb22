package auth

import (
	"hash/maphash"
	"net/netip"
	"sync"
	"time"
)

const limiterShards = 16

// FailureLimiter limits failed authentication attempts per client address with a
// token bucket: Burst failures, refilled continuously at Burst per Per. It is
// meant to be consulted before any database or password work, so a guessing
// client costs a map lookup. Memory is bounded by MaxEntries; when it is reached,
// fully refilled buckets are dropped and then, if need be, arbitrary ones (an
// attacker with more addresses than MaxEntries can evict itself, but cannot grow
// memory). IPv6 clients are limited per /64, since one host usually owns one.
// It is safe for concurrent use.
type FailureLimiter struct {
	burst       float64
	perToken    time.Duration
	maxPerShard int
	now         func() time.Time
	seed        maphash.Seed
	shards      [limiterShards]limiterShard
}

type limiterShard struct {
	mu        sync.Mutex
	buckets   map[netip.Addr]bucket
	lastSweep time.Time
}

// bucket holds the tokens left at time at.
type bucket struct {
	tokens float64
	at     time.Time
}

// NewFailureLimiter returns a limiter for cfg. WithClock is the only option it
// uses.
func NewFailureLimiter(cfg LimiterConfig, opts ...Option) *FailureLimiter {
	o := buildOptions(opts)
	if cfg.Burst <= 0 {
		cfg.Burst = DefaultFailureBurst
	}
	if cfg.Per <= 0 {
		cfg.Per = DefaultFailurePer
	}
	if cfg.MaxEntries <= 0 {
		cfg.MaxEntries = DefaultLimiterMaxEntries
	}
	l := &FailureLimiter{
		burst:       float64(cfg.Burst),
		perToken:    cfg.Per / time.Duration(cfg.Burst),
		maxPerShard: max(1, cfg.MaxEntries/limiterShards),
		now:         o.now,
		seed:        maphash.MakeSeed(),
	}
	for i := range l.shards {
		l.shards[i].buckets = make(map[netip.Addr]bucket)
	}
	return l
}

// Allow reports whether ip may attempt to authenticate now. When it may not,
// retryAfter says how long until it may (for a Retry-After header).
func (l *FailureLimiter) Allow(ip netip.Addr) (ok bool, retryAfter time.Duration) {
	k := limiterKey(ip)
	s := l.shard(k)
	s.mu.Lock()
	b, found := s.buckets[k]
	s.mu.Unlock()
	if !found {
		return true, 0
	}
	tokens := l.refill(b, l.now())
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) * float64(l.perToken))
}

// Fail records a failed attempt from ip.
func (l *FailureLimiter) Fail(ip netip.Addr) {
	k := limiterKey(ip)
	s := l.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	l.take(s, k, l.now())
}

// Reserve takes one attempt from ip's budget before an expensive check (a
// password hash), so that concurrent attempts cannot all pass a check made
// before any of them has failed: Allow then Fail let 60 concurrent wrong
// passwords through a budget of 10. When the check succeeds the caller gives the
// attempt back with Reservation.Succeeded; when it fails the attempt stays spent.
// When ip has no attempt left, ok is false, nothing is taken and retryAfter says
// how long until it may try again.
func (l *FailureLimiter) Reserve(ip netip.Addr) (r Reservation, ok bool, retryAfter time.Duration) {
	k := limiterKey(ip)
	s := l.shard(k)
	now := l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, found := s.buckets[k]; found {
		if tokens := l.refill(b, now); tokens < 1 {
			return Reservation{}, false, time.Duration((1 - tokens) * float64(l.perToken))
		}
	}
	l.take(s, k, now)
	return Reservation{l: l, key: k}, true, 0
}

// take spends one of k's tokens (s is locked).
func (l *FailureLimiter) take(s *limiterShard, k netip.Addr, now time.Time) {
	b, found := s.buckets[k]
	tokens := l.burst
	if found {
		tokens = l.refill(b, now)
	} else if len(s.buckets) >= l.maxPerShard {
		l.makeRoom(s, now)
	}
	s.buckets[k] = bucket{tokens: max(0, tokens-1), at: now}
}

// Reservation is one attempt taken by Reserve.
type Reservation struct {
	l   *FailureLimiter
	key netip.Addr
}

// Succeeded gives the attempt back: a successful check costs no budget. It is a
// no-op on the zero Reservation, and must be called at most once.
func (r Reservation) Succeeded() {
	if r.l == nil {
		return
	}
	s := r.l.shard(r.key)
	now := r.l.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, found := s.buckets[r.key]; found {
		s.buckets[r.key] = bucket{tokens: min(r.l.burst, r.l.refill(b, now)+1), at: now}
	}
}

// refill returns b's tokens at now.
func (l *FailureLimiter) refill(b bucket, now time.Time) float64 {
	return min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.perToken))
}

// makeRoom frees at least one slot in a full shard: a sweep of fully refilled
// buckets at most once per token interval (so a flood does not make every Fail
// O(n)), else the eviction of an arbitrary bucket.
func (l *FailureLimiter) makeRoom(s *limiterShard, now time.Time) {
	if now.Sub(s.lastSweep) >= l.perToken {
		s.lastSweep = now
		for k, b := range s.buckets {
			if l.refill(b, now) >= l.burst {
				delete(s.buckets, k)
			}
		}
	}
	for k := range s.buckets {
		if len(s.buckets) < l.maxPerShard {
			break
		}
		delete(s.buckets, k)
	}
}

func (l *FailureLimiter) shard(k netip.Addr) *limiterShard {
	return &l.shards[maphash.Comparable(l.seed, k)%limiterShards]
}

// limiterKey maps an address to what is limited: the IPv4 address, or the /64
// of an IPv6 one.
func limiterKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return ip
}
