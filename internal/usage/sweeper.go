package usage

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// RetentionStore is the part of store.Store the sweeper needs.
type RetentionStore interface {
	DeleteUsageBefore(ctx context.Context, before time.Time) (int64, error)
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)
	PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error)
}

// RetentionConfig says how long records are kept. A zero age keeps them forever.
type RetentionConfig struct {
	UsageAge time.Duration // usage events, which are also the request log (90 days)
	AuditAge time.Duration // audit entries (365 days)
	// IdempotencyAge is how long the answers kept for Idempotency-Keys live
	// (internal/idempotency.DefaultTTL); a key older than that is free again
	// whether swept or not, so the sweep only bounds the table.
	IdempotencyAge time.Duration
	Interval       time.Duration // time between sweeps (1h)
}

// Validate checks the configuration.
func (c RetentionConfig) Validate() error {
	if c.UsageAge < 0 || c.AuditAge < 0 || c.IdempotencyAge < 0 || c.Interval < 0 {
		return errors.New("usage: retention ages and interval must not be negative")
	}
	return nil
}

// Sweeper purges old usage events, audit entries and Idempotency-Key records: once at Start, then every
// Interval, in a goroutine that Stop ends.
type Sweeper struct {
	st  RetentionStore
	cfg RetentionConfig
	log *slog.Logger
	now func() time.Time

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewSweeper returns a sweeper; Start runs it.
func NewSweeper(st RetentionStore, cfg RetentionConfig, log *slog.Logger) *Sweeper {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Hour
	}
	return &Sweeper{st: st, cfg: cfg, log: log, now: time.Now}
}

// Start launches the sweeping goroutine.
func (s *Sweeper) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			s.Sweep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// Stop ends the goroutine (interrupting a sweep in progress) and waits for it.
func (s *Sweeper) Stop() {
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
}

// Sweep deletes what is older than the configured ages and returns the counts.
func (s *Sweeper) Sweep(ctx context.Context) (usageDeleted, auditDeleted int64) {
	now := s.now()
	if s.cfg.UsageAge > 0 {
		n, err := s.st.DeleteUsageBefore(ctx, now.Add(-s.cfg.UsageAge))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("usage retention sweep failed", "err", err)
		}
		usageDeleted = n
	}
	if s.cfg.AuditAge > 0 {
		n, err := s.st.DeleteAuditBefore(ctx, now.Add(-s.cfg.AuditAge))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("audit retention sweep failed", "err", err)
		}
		auditDeleted = n
	}
	if s.cfg.IdempotencyAge > 0 {
		n, err := s.st.PurgeIdempotencyKeys(ctx, now.Add(-s.cfg.IdempotencyAge))
		if err != nil && ctx.Err() == nil {
			s.log.Warn("idempotency key retention sweep failed", "err", err)
		} else if n > 0 {
			s.log.Debug("retention sweep", "idempotency_keys_deleted", n)
		}
	}
	if usageDeleted > 0 || auditDeleted > 0 {
		s.log.Info("retention sweep", "usage_events_deleted", usageDeleted, "audit_entries_deleted", auditDeleted)
	}
	return usageDeleted, auditDeleted
}
