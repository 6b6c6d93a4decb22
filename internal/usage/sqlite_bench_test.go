package usage

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

// BenchmarkWriterSQLite measures end-to-end throughput into the embedded store:
// b.N events recorded, then Close waits until all are written.
func BenchmarkWriterSQLite(b *testing.B) { benchWriter(b, "") }

// BenchmarkWriterPostgres is the same against CCGATEWAY_BENCH_DATABASE_URL (a
// scratch database: the events it writes stay there).
func BenchmarkWriterPostgres(b *testing.B) {
	url := os.Getenv("CCGATEWAY_BENCH_DATABASE_URL")
	if url == "" {
		b.Skip("CCGATEWAY_BENCH_DATABASE_URL not set")
	}
	benchWriter(b, url)
}

func benchWriter(b *testing.B, url string) {
	ctx := context.Background()
	st, err := store.Open(ctx, url, b.TempDir())
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
