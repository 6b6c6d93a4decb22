package actors

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

const benchModel = "claude-sonnet-4-5"

func benchSystem(b testing.TB, mutate func(*Config)) (*System, store.Store) {
	b.Helper()
	dir := b.TempDir()
	fake := testkit.NewFakeAPI(b)
	ctx := context.Background()
	st, err := store.Open(ctx, "", dir)
	if err != nil {
		b.Fatal(err)
	}
	if err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		CLI:     claudecli.Config{Path: testkit.ClaudePath(b), MaxRetries: 0, APITimeout: 10 * time.Second, Watchdog: time.Minute, Env: append(os.Environ(), fake.Env()...)},
		DataDir: dir, TurnTimeout: time.Minute, DefaultModel: benchModel,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	s, err := New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
		_ = st.Close()
	})
	return s, st
}

// newKeyID stores an API key row (conversations reference it) and returns its id.
func newKeyID(b testing.TB, st store.Store) string {
	k := &store.APIKey{ID: uuid.NewString(), Name: "bench-" + uuid.NewString(), Prefix: "sk-ccg-b", Hash: uuid.NewString(), Status: store.KeyActive}
	if err := st.CreateAPIKey(context.Background(), k); err != nil {
		b.Fatal(err)
	}
	return k.ID
}

func turn(b testing.TB, s *System, req ChatRequest) Result {
	b.Helper()
	ch, err := s.Chat(context.Background(), req)
	if err != nil {
		b.Fatal(err)
	}
	for ev := range ch {
		switch ev := ev.(type) {
		case Done:
			return ev.Result
		case Failed:
			b.Fatal(ev.Err)
		}
	}
	b.Fatal("stream ended without a result")
	return Result{}
}

// BenchmarkNextTurn compares a turn on the conversation's live process with one
// that must spawn with --resume (the process is evicted before each turn).
func BenchmarkNextTurn(b *testing.B) {
	b.Run("live", func(b *testing.B) {
		s, st := benchSystem(b, nil)
		key := newKeyID(b, st)
		first := turn(b, s, ChatRequest{APIKeyID: key, Message: "hi", Model: benchModel})
		b.ResetTimer()
		for b.Loop() {
			turn(b, s, ChatRequest{APIKeyID: key, ConversationID: first.ConversationID, Message: "again"})
		}
	})
	b.Run("resume-spawn", func(b *testing.B) {
		s, st := benchSystem(b, nil)
		key := newKeyID(b, st)
		first := turn(b, s, ChatRequest{APIKeyID: key, Message: "hi", Model: benchModel})
		b.ResetTimer()
		for b.Loop() {
			b.StopTimer()
			// A signature change ends the live process; the turn after it resumes.
			turn(b, s, ChatRequest{APIKeyID: key, ConversationID: first.ConversationID, Message: "x", SystemPrompt: uuid.NewString()})
			b.StartTimer()
			turn(b, s, ChatRequest{APIKeyID: key, ConversationID: first.ConversationID, Message: "again", SystemPrompt: uuid.NewString()})
		}
	})
}

// BenchmarkFirstTurn compares a new conversation's first turn on a prewarmed
// process with a cold spawn.
func BenchmarkFirstTurn(b *testing.B) {
	b.Run("prewarmed", func(b *testing.B) {
		s, st := benchSystem(b, func(c *Config) { c.Prewarm = 1 })
		key := newKeyID(b, st)
		for b.Loop() {
			b.StopTimer()
			waitSpare(b, s)
			b.StartTimer()
			turn(b, s, ChatRequest{APIKeyID: key, Message: "hi", Model: benchModel})
		}
	})
	b.Run("cold", func(b *testing.B) {
		s, st := benchSystem(b, nil)
		key := newKeyID(b, st)
		for b.Loop() {
			turn(b, s, ChatRequest{APIKeyID: key, Message: "hi", Model: benchModel})
		}
	})
}

func waitSpare(b *testing.B, s *System) {
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if readySpare(s) {
			time.Sleep(300 * time.Millisecond) // let the spare finish its start-up work
			return
		}
	}
	b.Fatal("no spare appeared")
}

// readySpare reports whether a prewarmed spare runs in its slot.
func readySpare(s *System) bool {
	for _, sl := range s.sched.Snapshot().Slots {
		if sl.State == scheduler.Prewarmed && sl.PID > 0 {
			return true
		}
	}
	return false
}
