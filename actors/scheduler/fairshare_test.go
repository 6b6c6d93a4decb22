package scheduler

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

// TestOneKeyCannotTakeTheWholeQueue replays issue 13 item 5: one key that
// queues enough turns to fill the node's queue made every other key get
// queue_full. A key below its fair share now always gets in: the newest turn of
// the key holding the most places is refused instead, until each waiting key
// holds an equal share.
func TestOneKeyCannotTakeTheWholeQueue(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 8})
	g := mustAcquire(t, s, "hog", "running")
	defer g.Finish(false)

	type outcome struct {
		key string
		i   int
		err error
	}
	done := make(chan outcome, 64)
	acquire := func(key string, i int) {
		go func() {
			g, err := s.Acquire(context.Background(), SlotRequest{Key: key, Conversation: fmt.Sprintf("%s-%d", key, i)}, nil)
			if g != nil {
				g.Finish(false)
			}
			done <- outcome{key, i, err}
		}()
	}
	for i := range 8 {
		acquire("hog", i)
		waitQueued(t, s, i+1)
	}
	// The queue is full of one key's turns: the hog's next one is refused...
	if _, err := s.Acquire(context.Background(), SlotRequest{Key: "hog", Conversation: "hog-extra"}, nil); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("hog's 9th waiting turn: %v, want ErrQueueFull", err)
	}
	// ...but other keys get in, each displacing the hog's newest turn.
	for i, key := range []string{"a", "b", "c"} {
		acquire(key, 0)
		o := <-done
		if o.key != "hog" || o.i != 7-i || !errors.Is(o.err, ErrQueueFull) {
			t.Fatalf("displaced %+v, want hog-%d refused with ErrQueueFull", o, 7-i)
		}
		waitQueued(t, s, 8)
	}
	s.mu.Lock()
	shares := map[string]int{}
	for k, q := range s.queues {
		shares[k] = len(q)
	}
	s.mu.Unlock()
	if shares["hog"] != 5 || shares["a"] != 1 || shares["b"] != 1 || shares["c"] != 1 {
		t.Fatalf("queue shares %v", shares)
	}
	// "a" may grow while it holds fewer places than the hog would keep; at an
	// equal share it displaces no one.
	for i, victim := range []int{4, 3} {
		acquire("a", i+1)
		if o := <-done; o.key != "hog" || o.i != victim || !errors.Is(o.err, ErrQueueFull) {
			t.Fatalf("displaced %+v, want hog-%d", o, victim)
		}
	}
	if _, err := s.Acquire(context.Background(), SlotRequest{Key: "a", Conversation: "a-9"}, nil); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("a at an equal share: %v, want ErrQueueFull", err)
	}
}

// TestQueuePerKeyCap: MaxQueuePerKey bounds one key's waiting turns even when the
// queue has room.
func TestQueuePerKeyCap(t *testing.T) {
	s := newSched(t, Config{MaxProcesses: 1, MaxQueue: 10, MaxQueuePerKey: 2})
	g := mustAcquire(t, s, "k", "running")
	defer g.Finish(false)
	for i := range 2 {
		go func() {
			_, _ = s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: fmt.Sprint("c", i)}, nil)
		}()
		waitQueued(t, s, i+1)
	}
	if _, err := s.Acquire(context.Background(), SlotRequest{Key: "k", Conversation: "c3"}, nil); !errors.Is(err, ErrQueueFull) {
		t.Fatalf("third waiting turn of one key: %v, want ErrQueueFull", err)
	}
	go func() { _, _ = s.Acquire(context.Background(), SlotRequest{Key: "other", Conversation: "o"}, nil) }()
	waitQueued(t, s, 3)
}
