package usage

import (
	"context"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
)

// TestPostgresTakesUntrustedStrings writes events carrying request input that
// PostgreSQL refuses as is (a NUL byte, invalid UTF-8) and checks that they, and
// the events after them, are stored.
func TestPostgresTakesUntrustedStrings(t *testing.T) {
	st := storetest.OpenPostgres(t)
	ctx := context.Background()
	w := newWriter(t, st, Config{BatchSize: 10, FlushInterval: 10 * time.Millisecond})
	w.Record(&store.UsageEvent{Timestamp: time.Now(), Endpoint: "/api/chat", Method: "POST", StatusCode: 400, Model: "bad\x00model\xff", RequestID: "req-nul"})
	w.Record(&store.UsageEvent{Timestamp: time.Now(), Endpoint: "/api/chat", Method: "POST", StatusCode: 200, Model: "claude-sonnet-5-5", RequestID: "req-ok"})
	if err := w.Close(ctx); err != nil {
		t.Fatal(err)
	}
	evs, total, err := st.ListUsageEvents(ctx, store.UsageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 {
		t.Fatalf("%d events stored, want 2 (stats %+v)", total, w.Stats())
	}
	for _, e := range evs {
		if e.RequestID == "req-nul" && e.Model != "badmodel" {
			t.Errorf("model stored as %q", e.Model)
		}
	}
}
