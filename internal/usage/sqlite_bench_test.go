package usage

import (
	"context"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// BenchmarkWriterSQLite measures end-to-end throughput into the embedded store:
// b.N events recorded, then Close waits until all are written.
func BenchmarkWriterSQLite(b *testing.B) {
	ctx := context.Background()
	st, err := store.Open(ctx, "", b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	w := newWriter(b, st, Config{BufferSize: max(b.N, 1000), TouchInterval: time.Hour})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Record(&store.UsageEvent{APIKeyID: "k", Timestamp: time.Now(), Endpoint: "/api/chat", Method: "POST",
			StatusCode: 200, TotalTokens: 600, RequestID: "req"})
	}
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	if s := w.Stats(); s.Written != int64(b.N) {
		b.Fatalf("wrote %d of %d", s.Written, b.N)
	}
}
