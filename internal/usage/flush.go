package usage

import (
	"context"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// storeTimeout bounds one store write, so a hung database cannot stall the loop.
const storeTimeout = 10 * time.Second

// run flushes on every tick and whenever Record fills a batch, backing off after
// store errors, until Close.
func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	var retryAt time.Time
	backoff := 100 * time.Millisecond
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		case <-w.kick:
		}
		if time.Now().Before(retryAt) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		err := w.flush(ctx)
		cancel()
		if err == nil {
			backoff = 100 * time.Millisecond
			retryAt = time.Time{}
			continue
		}
		w.log.Warn("usage write failed; will retry", "err", err, "pending", w.Stats().Pending, "retry_in", backoff)
		retryAt = time.Now().Add(backoff)
		backoff = min(2*backoff, w.cfg.MaxBackoff)
	}
}

// flush writes the buffer in batches. A failed batch goes back to the front of
// the buffer, ahead of events recorded meanwhile, and flush returns the error.
func (w *Writer) flush(ctx context.Context) error {
	for {
		w.mu.Lock()
		n := min(len(w.pending), w.cfg.BatchSize)
		if n == 0 {
			w.mu.Unlock()
			return nil
		}
		batch := w.pending[:n:n]
		w.pending = w.pending[n:]
		w.mu.Unlock()

		err := w.st.InsertUsageEvents(ctx, batch)
		if err != nil {
			batch, err = w.isolate(ctx, batch, err)
		}
		if err != nil {
			w.failures.Add(1)
			w.mu.Lock()
			w.pending = append(batch, w.pending...)
			w.mu.Unlock()
			return err
		}
		w.written.Add(int64(len(batch)))
		w.touch(ctx, batch)
	}
}

// isolate runs after a batch insert failed: it writes the batch's events one by
// one. When some succeed, the database is up and the others are rows it will never
// take; they are dropped (counted and logged) so that one bad event cannot block
// every later one. When none succeeds the database is likely down: the batch is
// returned whole with the error, to be retried.
func (w *Writer) isolate(ctx context.Context, batch []*store.UsageEvent, batchErr error) ([]*store.UsageEvent, error) {
	var written, failed []*store.UsageEvent
	var lastErr error
	for _, ev := range batch {
		if err := w.st.InsertUsageEvents(ctx, []*store.UsageEvent{ev}); err != nil {
			failed, lastErr = append(failed, ev), err
			continue
		}
		written = append(written, ev)
	}
	if len(written) == 0 {
		return batch, batchErr
	}
	for _, ev := range failed {
		w.dropped.Add(1)
		w.log.Error("usage event refused by the store; dropped", "request_id", ev.RequestID, "api_key_id", ev.APIKeyID, "err", lastErr)
	}
	// The written ones are counted by the caller; report success.
	return written, nil
}

// touch updates last_used_at of the batch's keys, at most once per key and
// TouchInterval. A failed touch is only logged: the next one catches up.
func (w *Writer) touch(ctx context.Context, batch []*store.UsageEvent) {
	latest := map[string]time.Time{}
	for _, ev := range batch {
		if ev.APIKeyID != "" && ev.Timestamp.After(latest[ev.APIKeyID]) {
			latest[ev.APIKeyID] = ev.Timestamp
		}
	}
	now := time.Now()
	for id, at := range latest {
		if last, ok := w.touched[id]; ok && now.Sub(last) < w.cfg.TouchInterval {
			continue
		}
		if err := w.st.TouchAPIKey(ctx, id, at); err != nil {
			w.log.Debug("last_used_at update failed", "api_key_id", id, "err", err)
			continue
		}
		w.touched[id] = now
	}
	if len(w.touched) > 100000 {
		clear(w.touched)
	}
}
