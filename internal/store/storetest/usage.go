package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// usageFixture inserts 12 events, one a minute from at(0): keys k1/k2 alternate,
// models opus (every third) or sonnet, every fourth has status 500, the rest 200.
// Event i has RequestTokens i, ResponseTokens 10*i, CostUSD i/100 and
// ResponseTimeMS 100*(i+1).
func usageFixture(t testing.TB, s store.Store) []*store.UsageEvent {
	t.Helper()
	events := make([]*store.UsageEvent, 12)
	for i := range events {
		e := &store.UsageEvent{
			APIKeyID: []string{"k1", "k2"}[i%2], Timestamp: at(time.Duration(i) * time.Minute),
			Endpoint: "/v1/messages", Method: "POST", Model: "sonnet", StatusCode: 200,
			RequestTokens: int64(i), ResponseTokens: int64(10 * i), TotalTokens: int64(11 * i),
			CacheReadInputTokens: 1, CacheCreationInputTokens: 2, CostUSD: float64(i) / 100,
			ResponseTimeMS: int64(100 * (i + 1)), TTFTMS: 50, ConversationID: "c", RequestID: "r", Node: "n1",
		}
		if i%3 == 0 {
			e.Model = "opus"
		}
		if i%4 == 0 {
			e.StatusCode, e.Error = 500, "boom"
		}
		events[i] = e
	}
	noErr(t, s.InsertUsageEvents(t.Context(), events))
	return events
}

func testUsage(t *testing.T, open Open) {
	s := open(t)
	ctx := t.Context()
	events := usageFixture(t, s)
	t.Run("ids assigned in order", func(t *testing.T) {
		for i := 1; i < len(events); i++ {
			if events[i].ID <= events[i-1].ID {
				t.Fatalf("ids not increasing: %d then %d", events[i-1].ID, events[i].ID)
			}
		}
	})
	t.Run("round trip, newest first", func(t *testing.T) {
		got, total, err := s.ListUsageEvents(ctx, store.UsageFilter{})
		noErr(t, err)
		equal(t, "total", total, 12)
		equal(t, "newest", got[0], events[11])
		equal(t, "oldest", got[11], events[0])
		isUTC(t, got[0].Timestamp)
	})
	checkPages(t, []pageCase[store.UsageFilter]{
		{"key", store.UsageFilter{APIKeyID: "k1"}, 6, 6},
		{"model", store.UsageFilter{Model: "opus"}, 4, 4},
		{"status", store.UsageFilter{Status: 500}, 3, 3},
		{"errors only", store.UsageFilter{ErrorsOnly: true}, 3, 3},
		{"from inclusive", store.UsageFilter{From: at(10 * time.Minute)}, 2, 2},
		{"to exclusive", store.UsageFilter{To: at(2 * time.Minute)}, 2, 2},
		{"range", store.UsageFilter{From: at(time.Minute), To: at(4 * time.Minute)}, 3, 3},
		{"sub-millisecond bound", store.UsageFilter{From: at(time.Minute + time.Millisecond)}, 10, 10},
		{"page", store.UsageFilter{Limit: 5, Offset: 10}, 2, 12},
		{"combined", store.UsageFilter{APIKeyID: "k1", Model: "opus", ErrorsOnly: true}, 1, 1},
		{"nothing", store.UsageFilter{APIKeyID: "k3"}, 0, 0},
	}, s.ListUsageEvents)
	t.Run("empty batch", func(t *testing.T) {
		noErr(t, s.InsertUsageEvents(ctx, nil))
	})
	t.Run("delete before", func(t *testing.T) {
		n, err := s.DeleteUsageBefore(ctx, at(3*time.Minute))
		noErr(t, err)
		equal(t, "deleted", n, int64(3))
		_, total, err := s.ListUsageEvents(ctx, store.UsageFilter{})
		noErr(t, err)
		equal(t, "left", total, 9)
	})
	t.Run("concurrent batches", func(t *testing.T) {
		concurrentUsage(t, open(t))
	})
}

func concurrentUsage(t *testing.T, s store.Store) {
	const writers, batches, size = 6, 5, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches)
	ids := make(chan int64, writers*batches*size)
	for range writers {
		wg.Go(func() {
			for range batches {
				b := make([]*store.UsageEvent, size)
				for i := range b {
					b[i] = &store.UsageEvent{APIKeyID: "k", StatusCode: 200, TotalTokens: 1}
				}
				errs <- s.InsertUsageEvents(t.Context(), b)
				for _, e := range b {
					ids <- e.ID
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	close(ids)
	for err := range errs {
		noErr(t, err)
	}
	seen := map[int64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d assigned twice", id)
		}
		seen[id] = true
	}
	sum, err := s.SumUsage(t.Context(), store.UsageFilter{})
	noErr(t, err)
	equal(t, "requests", sum.Requests, int64(writers*batches*size))
	equal(t, "tokens", sum.TotalTokens, int64(writers*batches*size))
}
