package scheduler

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

func newSched(t *testing.T, cfg Config) *Scheduler {
	t.Helper()
	if cfg.QueueTimeout == 0 {
		cfg.QueueTimeout = 5 * time.Second
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

func mustAcquire(t *testing.T, s *Scheduler, key, conv string) *Grant {
	t.Helper()
	g, err := s.Acquire(context.Background(), SlotRequest{Key: key, Conversation: conv}, nil)
	if err != nil {
		t.Fatalf("acquire %s/%s: %v", key, conv, err)
	}
	return g
}

// waitQueued waits until n turns wait in the queue.
func waitQueued(t *testing.T, s *Scheduler, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		s.mu.Lock()
		w := s.waiting
		s.mu.Unlock()
		if w == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting = %d, want %d", w, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCapsAndQueue(t *testing.T) {
	t.Run("a turn waits when every process is busy and runs when one finishes", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 4})
		g := mustAcquire(t, s, "k", "a")
		pos := make(chan int, 1)
		got := make(chan *Grant)
		go func() {
			g2, _ := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "b"}, func(p int) { pos <- p })
			got <- g2
		}()
		if p := <-pos; p != 1 {
			t.Fatalf("position %d, want 1", p)
		}
		g.Finish(true) // a stays idle; b evicts it
		if g2 := <-got; g2 == nil || !g2.Fresh {
			t.Fatalf("grant %+v, want a fresh one", g2)
		}
	})
	t.Run("a conversation's own idle process needs no new slot", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 1})
		mustAcquire(t, s, "k", "a").Finish(true)
		if g := mustAcquire(t, s, "k", "a"); g.Fresh {
			t.Fatal("second turn of a got a fresh slot")
		}
	})
	t.Run("busy cap below the process cap", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 3, MaxBusy: 1, MaxQueue: 1, QueueTimeout: 50 * time.Millisecond})
		mustAcquire(t, s, "k", "a")
		if _, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "b"}, nil); !errors.Is(err, ErrQueueTimeout) {
			t.Fatalf("err %v, want queue timeout", err)
		}
	})
	t.Run("queue full", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 1})
		mustAcquire(t, s, "k", "a")
		go func() { _, _ = s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "b"}, nil) }()
		waitQueued(t, s, 1)
		if _, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "c"}, nil); !errors.Is(err, ErrQueueFull) {
			t.Fatalf("err %v, want queue full", err)
		}
	})
	t.Run("a canceled wait leaves the queue", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 2})
		mustAcquire(t, s, "k", "a")
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error)
		go func() { _, err := s.Acquire(ctx, SlotRequest{Key: "k", Conversation: "b"}, nil); errc <- err }()
		waitQueued(t, s, 1)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want canceled", err)
		}
		waitQueued(t, s, 0)
	})
	t.Run("close fails waiters", func(t *testing.T) {
		s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 2})
		mustAcquire(t, s, "k", "a")
		errc := make(chan error)
		go func() {
			_, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "b"}, nil)
			errc <- err
		}()
		waitQueued(t, s, 1)
		s.Close(context.Background())
		if err := <-errc; !errors.Is(err, ErrClosed) {
			t.Fatalf("err %v, want closed", err)
		}
	})
}

func TestEviction(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 2, MaxQueue: 1})
	var evicted sync.Map
	for _, c := range []string{"a", "b"} {
		g := mustAcquire(t, s, "k", c)
		g.Attach(1, time.Now(), func() { evicted.Store(c, true) })
		g.Finish(true)
		time.Sleep(2 * time.Millisecond) // a is the least recently used
	}
	g := mustAcquire(t, s, "k", "c")
	if !g.Fresh {
		t.Fatal("c's grant is not fresh")
	}
	deadline := time.Now().Add(time.Second)
	for {
		if _, ok := evicted.Load("a"); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a was not evicted")
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok := evicted.Load("b"); ok {
		t.Fatal("b was evicted, want only the least recently used")
	}
	if n := len(s.Snapshot().Slots); n != 2 {
		t.Fatalf("%d slots, want 2", n)
	}
}

// TestFairness: with one slot, a key with 5 queued turns cannot delay another
// key's single turn by more than one of its own.
func TestFairness(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 10})
	first := mustAcquire(t, s, "busy", "x0")
	var mu sync.Mutex
	var order []string
	var wg sync.WaitGroup
	acquire := func(key, conv string) {
		defer wg.Done()
		g, err := s.Acquire(context.Background(), SlotRequest{Key: key, Conversation: conv}, nil)
		if err != nil {
			t.Error(err)
			return
		}
		mu.Lock()
		order = append(order, key)
		mu.Unlock()
		g.Finish(false)
	}
	for i := 1; i <= 5; i++ {
		wg.Add(1)
		go acquire("busy", fmt.Sprintf("x%d", i))
		waitQueued(t, s, i)
	}
	wg.Add(1)
	go acquire("light", "y")
	waitQueued(t, s, 6)
	first.Finish(false)
	wg.Wait()
	idx := -1
	for i, k := range order {
		if k == "light" {
			idx = i
		}
	}
	if idx < 0 || idx > 1 {
		t.Fatalf("service order %v: the light key's turn should be among the first two", order)
	}
}

func TestPositions(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 10})
	mustAcquire(t, s, "a", "a0")
	positions := make(chan int, 3)
	for i, tk := range []SlotRequest{{Key: "a", Conversation: "a1"}, {Key: "a", Conversation: "a2"}, {Key: "b", Conversation: "b1"}} {
		go func() { _, _ = s.Acquire(context.Background(), tk, func(p int) { positions <- p }) }()
		waitQueued(t, s, i+1)
	}
	got := []int{<-positions, <-positions, <-positions}
	// a1 is next, a2 third; b1, arriving last, is served second (round-robin).
	if got[0] != 1 || got[1] != 2 || got[2] != 2 {
		t.Fatalf("positions %v, want [1 2 2]", got)
	}
}

// readySpares counts the spares running in their slots, ready to be taken.
func readySpares(s *Scheduler) int {
	n := 0
	for _, sl := range s.Snapshot().Slots {
		if sl.State == Prewarmed && sl.PID > 0 {
			n++
		}
	}
	return n
}

func stateOf(s *Scheduler, id string) State {
	for _, sl := range s.Snapshot().Slots {
		if sl.ID == id {
			return sl.State
		}
	}
	return ""
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 2*time.Second, "condition", cond)
}
