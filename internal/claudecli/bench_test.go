package claudecli

import (
	"testing"

	"github.com/ccgateway/ccgateway/internal/testkit"
)

// BenchmarkTurn measures the real CLI against the fake API: a fresh spawn plus its
// first turn, and a next turn on a live process.
func BenchmarkTurn(b *testing.B) {
	api := testkit.NewFakeAPI(b)
	cfg := realConfig(b, api)

	b.Run("spawn+turn", func(b *testing.B) {
		spec := newSpec(b)
		for b.Loop() {
			p := start(b, cfg, spec)
			mustSucceed(b, p, "hi")
			_ = p.Close()
			api.Reset()
		}
	})

	b.Run("next-turn", func(b *testing.B) {
		p := start(b, cfg, newSpec(b))
		mustSucceed(b, p, "warm up")
		for b.Loop() {
			mustSucceed(b, p, "hi")
		}
		api.Reset()
	})
}
