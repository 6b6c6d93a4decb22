package scheduler

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeSpawner records the spares a pool starts and stops; a process is its
// signature and id.
type fakeSpawner struct {
	mu      sync.Mutex
	spawned map[string]int // by signature
	stopped atomic.Int32
}

func (f *fakeSpawner) spawn(_ context.Context, id string, sig string) (string, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.spawned == nil {
		f.spawned = map[string]int{}
	}
	f.spawned[sig]++
	return sig + "/" + id, 42, nil
}

func (f *fakeSpawner) count(sig string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spawned[sig]
}

func newPool(t *testing.T, s *Scheduler, cfg PoolConfig[string], f *fakeSpawner) *Pool[string, string] {
	t.Helper()
	if cfg.Interval == 0 {
		cfg.Interval = 5 * time.Millisecond
	}
	if cfg.Default == "" {
		cfg.Default = "default"
	}
	p := NewPool(s, cfg, f.spawn, func(string) { f.stopped.Add(1) }, nil)
	t.Cleanup(p.Close)
	return p
}

func TestPrewarmPool(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 2, MaxQueue: 2})
	f := &fakeSpawner{}
	// MinIdle is long: here no conversation may lose its slot to a spare (with 0,
	// c would be a victim at once and the stop count below would race).
	pool := newPool(t, s, PoolConfig[string]{Size: 1, MinIdle: time.Hour}, f)
	waitFor(t, func() bool { return readySpares(s) == 1 })
	if _, _, ok := pool.Take("other"); ok {
		t.Fatal("a spare of another signature was handed out")
	}
	id, proc, ok := pool.Take("default")
	if !ok || proc != "default/"+id {
		t.Fatalf("take: %q %q %v", id, proc, ok)
	}
	g, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "c", Adopt: id}, nil)
	if err != nil || g.Fresh {
		t.Fatalf("adopting grant %+v, %v: want a non-fresh grant", g, err)
	}
	g.Finish(true)
	waitFor(t, func() bool { return readySpares(s) == 1 }) // refilled: c idle + 1 spare = cap
	// A new conversation takes the spare's slot (spares go first), not c's.
	g2 := mustAcquire(t, s, "k", "d")
	if !g2.Fresh {
		t.Fatal("d's grant is not fresh")
	}
	// At least the spare whose slot d took (Take("other") above may also have made
	// the pool replace a default spare with one of the signature asked for).
	waitFor(t, func() bool { return f.stopped.Load() >= 1 })
	if st := stateOf(s, "c"); st != Idle {
		t.Fatalf("c is %q, want idle", st)
	}
}

// TestPrewarmOverFullCap: with every slot held by idle conversation processes, the
// pool still keeps its spare by ending the least recently used one that has been
// idle long enough, and never one in active use.
func TestPrewarmOverFullCap(t *testing.T) {
	const minIdle = 300 * time.Millisecond
	s := newSched(t, Config{MaxProcesses: 2, MaxQueue: 2})
	var evicted sync.Map
	idle := func(conv string) {
		g := mustAcquire(t, s, "k", conv)
		g.Attach(100, time.Now(), func() { evicted.Store(conv, true) })
		g.Finish(true)
	}
	idle("old")
	time.Sleep(minIdle / 3)
	idle("young")
	f := &fakeSpawner{}
	pool := newPool(t, s, PoolConfig[string]{Size: 1, MinIdle: minIdle}, f)
	// Before "old" is minIdle old, nothing may be taken.
	time.Sleep(minIdle / 3)
	if n := readySpares(s); n != 0 {
		t.Fatalf("a spare took a slot from a conversation idle for less than min idle (%d spares)", n)
	}
	// The victim's process is ended in its own goroutine (go evict()), so the spare
	// can be ready a moment before the victim's stop has run: wait for both.
	waitFor(t, func() bool { _, gone := evicted.Load("old"); return gone && readySpares(s) == 1 })
	if _, ok := evicted.Load("young"); ok {
		t.Fatal("the more recently used process was ended")
	}
	if st := stateOf(s, "young"); st != Idle {
		t.Fatalf("young is %q, want idle", st)
	}
	if got := len(s.Snapshot().Slots); got != 2 {
		t.Fatalf("%d slots, want the cap of 2", got)
	}
	// Busy processes are never victims: with "young" busy and the spare adopted by
	// a new conversation (now idle, but recently used), the pool cannot refill until
	// that one has been idle for minIdle; then it is the victim, never "young".
	g := mustAcquire(t, s, "k", "young")
	defer g.Finish(true)
	id, _, ok := pool.Take("default")
	if !ok {
		t.Fatal("no spare to take")
	}
	ga, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "new", Adopt: id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ga.Attach(101, time.Now(), func() { evicted.Store("new", true) })
	ga.Finish(true)
	time.Sleep(minIdle / 2)
	if n := readySpares(s); n != 0 {
		t.Fatalf("%d spares: a slot was taken from a busy or recently used process", n)
	}
	waitFor(t, func() bool { _, gone := evicted.Load("new"); return gone && readySpares(s) == 1 })
	if _, ok := evicted.Load("young"); ok {
		t.Fatal("a busy process was ended")
	}
}

// TestPrewarmFollowsDemand: spares follow the signatures new conversations ask for.
func TestPrewarmFollowsDemand(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 4, MaxQueue: 2})
	f := &fakeSpawner{}
	pool := newPool(t, s, PoolConfig[string]{Size: 2}, f)
	waitFor(t, func() bool { return readySpares(s) == 2 })
	if f.count("default") != 2 {
		t.Fatalf("spawned %v, want 2 of the default signature before any demand", f.spawned)
	}
	// Conversations with a system prompt ("sp") arrive: misses count as demand.
	for range 3 {
		if _, _, ok := pool.Take("sp"); ok {
			t.Fatal("an sp spare before any was spawned")
		}
	}
	waitFor(t, func() bool { return f.count("sp") == 2 })
	waitFor(t, func() bool {
		_, _, ok := pool.Take("sp")
		return ok
	})
	// The default spares were retired to make room.
	waitFor(t, func() bool { return f.stopped.Load() == 2 })
}

// TestTrimToBudget: idle processes are ended, spares first, then least recently
// used, until the total RSS fits; busy ones never.
func TestTrimToBudget(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 5, MaxQueue: 2})
	ended := map[string]bool{}
	var mu sync.Mutex
	pids := map[int]int64{}
	add := func(conv string, pid int, busy bool) *Grant {
		g := mustAcquire(t, s, "k", conv)
		g.Attach(pid, time.Now(), func() { mu.Lock(); ended[conv] = true; mu.Unlock() })
		pids[pid] = 200
		if !busy {
			g.Finish(true)
		}
		time.Sleep(2 * time.Millisecond)
		return g
	}
	busy := add("busy-oldest", 1, true)
	defer busy.Finish(true)
	add("idle-old", 2, false)
	add("idle-new", 3, false)
	if !s.ReserveSpare("spare") {
		t.Fatal("no slot for the spare")
	}
	s.AttachSpare("spare", 4, time.Now(), func() { mu.Lock(); ended["spare"] = true; mu.Unlock() })
	pids[4] = 200
	rss := func(pid int) int64 { return pids[pid] }

	total, evicts := s.TrimToBudget(0, rss)
	if total != 800 || len(evicts) != 0 {
		t.Fatalf("no budget: total %d, %d evictions; want 800, 0", total, len(evicts))
	}
	total, evicts = s.TrimToBudget(450, rss)
	runAllNow(evicts)
	if total != 800 {
		t.Fatalf("total %d, want 800", total)
	}
	mu.Lock()
	got := map[string]bool{"spare": ended["spare"], "idle-old": ended["idle-old"], "idle-new": ended["idle-new"], "busy-oldest": ended["busy-oldest"]}
	mu.Unlock()
	want := map[string]bool{"spare": true, "idle-old": true, "idle-new": false, "busy-oldest": false}
	if !equal(got, want) {
		t.Fatalf("ended %v, want %v", got, want)
	}
	// Under budget now: a further trim ends nothing, and even a tiny budget spares
	// the busy process.
	total, evicts = s.TrimToBudget(450, rss)
	if total != 400 || len(evicts) != 0 {
		t.Fatalf("second trim: total %d, %d evictions; want 400, 0", total, len(evicts))
	}
	_, evicts = s.TrimToBudget(1, rss)
	runAllNow(evicts)
	if st := stateOf(s, "busy-oldest"); st != Busy {
		t.Fatalf("the busy process is %q", st)
	}
}

func runAllNow(fs []func()) {
	for _, f := range fs {
		if f != nil {
			f()
		}
	}
}

func equal(a, b map[string]bool) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
