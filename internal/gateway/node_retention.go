package gateway

import (
	"context"
	"time"

	"github.com/ccgateway/ccgateway/actors"
	usagelog "github.com/ccgateway/ccgateway/internal/usage"
)

// retention is the node's one sweeper loop: usage events and audit entries
// past their age, conversations idle past the retention, and the directories of
// deleted keys; once at start, then every sys.SweepEvery (the retention
// interval, shortened for a short conversation retention). The returned stop
// ends the loop, a sweep in progress included, and waits for it.
func retention(sys *actors.System, records *usagelog.Sweeper) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(sys.SweepEvery())
		defer t.Stop()
		for {
			records.Sweep(ctx)
			sys.Sweep(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}
