package usage

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// Store is the part of store.Store the writer needs.
type Store interface {
	InsertUsageEvents(ctx context.Context, events []*store.UsageEvent) error
	TouchAPIKey(ctx context.Context, id string, at time.Time) error
}

// Config tunes the Writer. Zero values take the defaults in parentheses.
type Config struct {
	BatchSize     int           // events per insert; a full batch is written at once (500)
	FlushInterval time.Duration // longest time an event waits in the buffer (1s)
	BufferSize    int           // events held in memory at most (50000)
	MaxBackoff    time.Duration // longest pause between retries after a store error (10s)
	TouchInterval time.Duration // least time between two last_used_at updates of one key (30s)
}

// Validate checks the configuration.
func (c Config) Validate() error {
	var errs []error
	if c.BatchSize < 0 || c.BufferSize < 0 || c.FlushInterval < 0 || c.MaxBackoff < 0 || c.TouchInterval < 0 {
		errs = append(errs, errors.New("usage: config values must not be negative"))
	}
	if c.BufferSize > 0 && c.BatchSize > c.BufferSize {
		errs = append(errs, fmt.Errorf("usage: batch size %d is larger than the buffer %d", c.BatchSize, c.BufferSize))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	if c.BatchSize == 0 {
		c.BatchSize = 500
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = time.Second
	}
	if c.BufferSize == 0 {
		c.BufferSize = 50000
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 10 * time.Second
	}
	if c.TouchInterval == 0 {
		c.TouchInterval = 30 * time.Second
	}
	return c
}

// Stats counts what the writer did since it started.
type Stats struct {
	Recorded int64 // events accepted by Record
	Written  int64 // events stored
	Dropped  int64 // events refused because the buffer was full or the writer closed
	Pending  int   // events waiting in the buffer
	Failures int64 // failed store writes (each retried)
}

// Writer batches usage events into the store. Record never blocks; Start runs the
// flushing goroutine and Close stops it after writing what is buffered.
type Writer struct {
	st  Store
	cfg Config
	log *slog.Logger
	hub Hub

	mu      sync.Mutex
	pending []*store.UsageEvent
	closed  bool

	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	started atomic.Bool

	recorded, written, dropped, failures atomic.Int64
	lastDropLog                          atomic.Int64         // unix nanos
	touched                              map[string]time.Time // owned by the run goroutine
}

// New returns a writer; call Start before recording and Close on shutdown.
func New(st Store, cfg Config, log *slog.Logger) (*Writer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Writer{
		st: st, cfg: cfg.withDefaults(), log: log,
		kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
		touched: map[string]time.Time{},
	}, nil
}

// Start launches the flushing goroutine. It is stopped by Close.
func (w *Writer) Start() {
	if w.started.CompareAndSwap(false, true) {
		go w.run()
	}
}

// Record queues ev (which the caller must not change afterwards) and fans it out
// to subscribers. It never blocks: when the buffer is full the event is counted
// as dropped and logged.
func (w *Writer) Record(ev *store.UsageEvent) {
	w.mu.Lock()
	if w.closed || len(w.pending) >= w.cfg.BufferSize {
		closed := w.closed
		w.mu.Unlock()
		w.dropped.Add(1)
		w.logDrop(closed)
		return
	}
	sanitize(ev)
	w.pending = append(w.pending, ev)
	full := len(w.pending) >= w.cfg.BatchSize
	w.mu.Unlock()
	w.recorded.Add(1)
	w.hub.Publish(ev)
	if full {
		select {
		case w.kick <- struct{}{}:
		default:
		}
	}
}

// logDrop reports refused events at most once a second.
func (w *Writer) logDrop(closed bool) {
	now := time.Now().UnixNano()
	last := w.lastDropLog.Load()
	if now-last < int64(time.Second) || !w.lastDropLog.CompareAndSwap(last, now) {
		return
	}
	reason := "buffer full (the store is failing or too slow)"
	if closed {
		reason = "writer closed"
	}
	w.log.Error("usage events dropped", "reason", reason, "dropped_total", w.dropped.Load())
}

// Stats returns the writer's counters.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	n := len(w.pending)
	w.mu.Unlock()
	return Stats{Recorded: w.recorded.Load(), Written: w.written.Load(), Dropped: w.dropped.Load(),
		Pending: n, Failures: w.failures.Load()}
}

// Close refuses new events, writes every buffered one (retrying store errors
// until ctx ends) and stops the goroutine. It returns an error naming how many
// events could not be written.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already && w.started.Load() {
		close(w.stop)
		<-w.done
	}
	backoff := 50 * time.Millisecond
	for {
		err := w.flush(ctx)
		if err == nil {
			break
		}
		select {
		case <-ctx.Done():
			w.hub.CloseAll()
			lost := w.Stats().Pending
			w.log.Error("usage events not written at shutdown", "lost", lost, "err", err)
			return fmt.Errorf("usage: %d events not written: %w", lost, err)
		case <-time.After(backoff):
			backoff = min(2*backoff, w.cfg.MaxBackoff)
		}
	}
	w.hub.CloseAll()
	return nil
}

// sanitize makes an event's strings storable by every backend: valid UTF-8, no
// NUL bytes (PostgreSQL refuses them in text) and bounded lengths. Request input
// such as a model name reaches events, so it is never trusted to be clean.
func sanitize(ev *store.UsageEvent) {
	for _, f := range []struct {
		s   *string
		max int
	}{
		{&ev.APIKeyID, 64}, {&ev.Endpoint, 256}, {&ev.Method, 16}, {&ev.Model, 128},
		{&ev.Error, 512}, {&ev.ConversationID, 128}, {&ev.RequestID, 128}, {&ev.Node, 128},
	} {
		*f.s = clean(*f.s, f.max)
	}
}

func clean(s string, max int) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	s = strings.ToValidUTF8(s, "")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}
