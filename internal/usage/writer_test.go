package usage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// memStore is an in-memory Store whose writes can be made to fail.
type memStore struct {
	mu       sync.Mutex
	events   []*store.UsageEvent
	batches  []int
	failing  bool
	poison   map[string]bool // request ids the store refuses, as a database refuses a bad row
	touches  map[string]int
	usageDel time.Time
	auditDel time.Time
	idemDel  time.Time
}

var errDown = errors.New("database down")

func (m *memStore) InsertUsageEvents(_ context.Context, evs []*store.UsageEvent) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failing {
		return errDown
	}
	for _, e := range evs {
		if m.poison[e.RequestID] {
			return errors.New("invalid byte sequence")
		}
	}
	m.events = append(m.events, evs...)
	m.batches = append(m.batches, len(evs))
	return nil
}

func (m *memStore) TouchAPIKey(_ context.Context, id string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.touches == nil {
		m.touches = map[string]int{}
	}
	m.touches[id]++
	return nil
}

func (m *memStore) DeleteUsageBefore(_ context.Context, t time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.usageDel = t
	return 3, nil
}

func (m *memStore) DeleteAuditBefore(_ context.Context, t time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.auditDel = t
	return 1, nil
}

func (m *memStore) PurgeIdempotencyKeys(_ context.Context, t time.Time) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.idemDel = t
	return 1, nil
}

func (m *memStore) setFailing(v bool) { m.mu.Lock(); m.failing = v; m.mu.Unlock() }

func (m *memStore) count() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.events) }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newWriter(t testing.TB, st Store, cfg Config) *Writer {
	t.Helper()
	w, err := New(st, cfg, quiet())
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	return w
}

func ev(key string, i int) *store.UsageEvent {
	return &store.UsageEvent{APIKeyID: key, Timestamp: time.Now(), RequestID: fmt.Sprintf("req-%d", i), StatusCode: 200}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 5*time.Second, what, cond)
}

func TestWriterFlushesBySizeAndInterval(t *testing.T) {
	t.Run("size", func(t *testing.T) {
		st := &memStore{}
		w := newWriter(t, st, Config{BatchSize: 10, FlushInterval: time.Hour})
		for i := range 25 {
			w.Record(ev("k", i))
		}
		waitFor(t, "two full batches", func() bool { return st.count() >= 20 })
		if err := w.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		if st.count() != 25 {
			t.Fatalf("stored %d events, want 25", st.count())
		}
		for _, n := range st.batches {
			if n > 10 {
				t.Errorf("batch of %d is over the batch size", n)
			}
		}
	})
	t.Run("interval", func(t *testing.T) {
		st := &memStore{}
		w := newWriter(t, st, Config{BatchSize: 100, FlushInterval: 20 * time.Millisecond})
		defer w.Close(context.Background())
		w.Record(ev("k", 1))
		waitFor(t, "the interval flush", func() bool { return st.count() == 1 })
	})
}

func TestWriterRetriesWhileTheStoreIsDown(t *testing.T) {
	st := &memStore{failing: true}
	w := newWriter(t, st, Config{BatchSize: 5, FlushInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	for i := range 12 {
		w.Record(ev("k", i))
	}
	waitFor(t, "a failed write", func() bool { return w.Stats().Failures > 0 })
	st.setFailing(false)
	waitFor(t, "recovery", func() bool { return st.count() == 12 })
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range st.events {
		if seen[e.RequestID] {
			t.Fatalf("event %s written twice", e.RequestID)
		}
		seen[e.RequestID] = true
	}
	if s := w.Stats(); s.Written != 12 || s.Dropped != 0 || s.Pending != 0 {
		t.Fatalf("stats %+v", s)
	}
}

func TestWriterBufferFullPolicy(t *testing.T) {
	st := &memStore{failing: true}
	w := newWriter(t, st, Config{BatchSize: 2, BufferSize: 5, FlushInterval: time.Hour})
	for i := range 8 {
		w.Record(ev("k", i))
	}
	if s := w.Stats(); s.Dropped != 3 || s.Recorded != 5 {
		t.Fatalf("stats %+v, want 3 dropped and 5 recorded", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := w.Close(ctx)
	if err == nil || !errors.Is(err, errDown) {
		t.Fatalf("Close with the store down returned %v", err)
	}
	w.Record(ev("k", 99)) // after Close: refused and counted, not lost silently
	if s := w.Stats(); s.Dropped != 4 {
		t.Fatalf("stats after close %+v", s)
	}
}

func TestWriterTouchesKeysThrottled(t *testing.T) {
	st := &memStore{}
	w := newWriter(t, st, Config{BatchSize: 1, FlushInterval: time.Hour, TouchInterval: time.Hour})
	for i := range 5 {
		w.Record(ev("a", i))
		w.Record(ev("b", i))
	}
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st.touches["a"] != 1 || st.touches["b"] != 1 {
		t.Fatalf("touches %v, want one per key", st.touches)
	}
}

func TestSubscribersGetEvents(t *testing.T) {
	st := &memStore{}
	w := newWriter(t, st, Config{FlushInterval: time.Hour})
	fast := w.Subscribe(10)
	slow := w.Subscribe(1)
	for i := range 3 {
		w.Record(ev("k", i))
	}
	for i := range 3 {
		got := <-fast.C
		if got.RequestID != fmt.Sprintf("req-%d", i) {
			t.Fatalf("event %d is %s", i, got.RequestID)
		}
	}
	if slow.Missed() != 2 {
		t.Fatalf("slow subscriber missed %d, want 2", slow.Missed())
	}
	fast.Close()
	if _, ok := <-fast.C; ok {
		t.Fatal("closed subscription still delivers")
	}
	_ = w.Close(context.Background())
	<-slow.C
	if _, ok := <-slow.C; ok {
		t.Fatal("Close did not end the subscriptions")
	}
}

func TestSweeper(t *testing.T) {
	st := &memStore{}
	s := NewSweeper(st, RetentionConfig{UsageAge: 90 * 24 * time.Hour, AuditAge: 365 * 24 * time.Hour,
		IdempotencyAge: 24 * time.Hour, Interval: time.Hour}, quiet())
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	s.Start()
	waitFor(t, "the first sweep", func() bool { st.mu.Lock(); defer st.mu.Unlock(); return !st.auditDel.IsZero() })
	s.Stop()
	if want := now.Add(-90 * 24 * time.Hour); !st.usageDel.Equal(want) {
		t.Errorf("usage purged before %v, want %v", st.usageDel, want)
	}
	if want := now.Add(-365 * 24 * time.Hour); !st.auditDel.Equal(want) {
		t.Errorf("audit purged before %v, want %v", st.auditDel, want)
	}
	if want := now.Add(-24 * time.Hour); !st.idemDel.Equal(want) {
		t.Errorf("idempotency keys purged before %v, want %v", st.idemDel, want)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := (Config{BatchSize: 10, BufferSize: 5}).Validate(); err == nil {
		t.Error("a batch larger than the buffer was accepted")
	}
	if err := (Config{FlushInterval: -1}).Validate(); err == nil {
		t.Error("a negative interval was accepted")
	}
}

// BenchmarkRecord measures the request path's cost: Record with the writer
// flushing concurrently to an in-memory store.
func BenchmarkRecord(b *testing.B) {
	st := &memStore{}
	w := newWriter(b, st, Config{BufferSize: 1 << 22})
	e := ev("k", 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Record(e)
		}
	})
	b.StopTimer()
	_ = w.Close(context.Background())
}

func TestOneBadEventDoesNotBlockTheRest(t *testing.T) {
	st := &memStore{poison: map[string]bool{"req-3": true}}
	w := newWriter(t, st, Config{BatchSize: 10, FlushInterval: 10 * time.Millisecond})
	for i := range 10 {
		w.Record(ev("k", i))
	}
	waitFor(t, "the good events", func() bool { return st.count() == 9 })
	w.Record(ev("k", 10))
	waitFor(t, "a later event", func() bool { return st.count() == 10 })
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Dropped != 1 || s.Pending != 0 {
		t.Fatalf("stats %+v, want exactly the bad event dropped", s)
	}
}

func TestDatabaseDownKeepsTheBatch(t *testing.T) {
	st := &memStore{failing: true}
	w := newWriter(t, st, Config{BatchSize: 5, FlushInterval: 10 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	for i := range 5 {
		w.Record(ev("k", i))
	}
	time.Sleep(100 * time.Millisecond)
	st.mu.Lock()
	st.failing = false
	st.mu.Unlock()
	waitFor(t, "the retried batch", func() bool { return st.count() == 5 })
	if err := w.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s := w.Stats(); s.Dropped != 0 {
		t.Fatalf("dropped %d events while the database was down", s.Dropped)
	}
}

func TestSanitize(t *testing.T) {
	e := &store.UsageEvent{Model: "bad\x00model", Error: strings.Repeat("é", 600), Endpoint: "/api/\xffchat"}
	sanitize(e)
	if e.Model != "badmodel" || e.Endpoint != "/api/chat" || len(e.Error) > 512 || !utf8.ValidString(e.Error) {
		t.Fatalf("sanitized %+v", e)
	}
}
