package conversation

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/actors/scheduler"
	"github.com/ccgateway/ccgateway/internal/store"
)

// harness runs grains as plain local actors (no cluster) on a real SQLite store
// with a fake launcher.
type harness struct {
	t     testing.TB
	st    *flakyStore
	sys   *actor.ActorSystem
	deps  *Deps
	l     *fakeLauncher
	keyID string
}

func newHarness(t testing.TB, mods ...func(*Deps)) *harness {
	t.Helper()
	ctx := context.Background()
	raw, err := store.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	st := &flakyStore{Store: raw}
	sched, err := scheduler.New(scheduler.Config{MaxProcesses: 4, MaxQueue: 10, QueueTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	l := &fakeLauncher{}
	d := &Deps{
		Store: st, Sched: sched, Launcher: l, Encode: encode, Log: log, IdleTTL: time.Minute,
		MaxPending: 8, TurnTimeout: 10 * time.Second, Kill: context.Background(),
		Leases: NewLeases(st, LeaseConfig{Owner: "node-a", TTL: 30 * time.Second, Renew: 10 * time.Second}, log),
	}
	for _, m := range mods {
		m(d)
	}
	h := &harness{t: t, st: st, sys: actor.NewActorSystem(), deps: d, l: l}
	k := &store.APIKey{ID: uuid.NewString(), Name: "k", Prefix: "sk-ccg-Ab", Hash: uuid.NewString(), Status: store.KeyActive}
	if err := st.CreateAPIKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	h.keyID = k.ID
	t.Cleanup(func() {
		d.Leases.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		sched.Close(cctx)
		h.sys.Shutdown()
		_ = raw.Close()
	})
	return h
}

// setModel changes the stored conversation's model, as another node's turn would.
func (h *harness) setModel(convID, model string) {
	h.t.Helper()
	c, err := h.st.GetConversation(context.Background(), h.keyID, convID)
	if err != nil {
		h.t.Fatal(err)
	}
	c.Model = model
	if err := h.st.UpdateConversation(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
}

// grain creates a conversation row and spawns its grain.
func (h *harness) grain() (convID string, pid *actor.PID) {
	h.t.Helper()
	c := &store.Conversation{ID: uuid.NewString(), APIKeyID: h.keyID, Model: "m", SessionID: uuid.NewString()}
	if err := h.st.CreateConversation(context.Background(), c); err != nil {
		h.t.Fatal(err)
	}
	return c.ID, h.sys.Root.Spawn(Props(h.deps))
}

// turn sends a turn and returns its ack and the stream its receiver records.
func (h *harness) turn(pid *actor.PID, convID, text string, mods ...func(*messages.TurnRequest)) (*messages.TurnAck, *stream) {
	h.t.Helper()
	s := &stream{ch: make(chan any, 32)}
	rpid := h.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch m := c.Message().(type) {
		case *messages.TurnQueued, *messages.TurnStarted, *messages.TurnDelta, *messages.TurnDone, *messages.TurnFailed:
			s.ch <- m
		}
	}))
	req := &messages.TurnRequest{RequestId: uuid.NewString(), ApiKeyId: h.keyID, ConversationId: convID, Message: text,
		Receiver: &messages.Receiver{Address: rpid.Address, Id: rpid.Id}}
	for _, m := range mods {
		m(req)
	}
	s.id, s.req = req.RequestId, req
	res, err := h.sys.Root.RequestFuture(pid, req, 5*time.Second).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return res.(*messages.TurnAck), s
}

// resend sends a turn's request again, as a caller's retry does, and returns the
// ack.
func (h *harness) resend(pid *actor.PID, s *stream) *messages.TurnAck {
	h.t.Helper()
	res, err := h.sys.Root.RequestFuture(pid, s.req, 5*time.Second).Result()
	if err != nil {
		h.t.Fatal(err)
	}
	return res.(*messages.TurnAck)
}

// stream is what one turn's receiver got.
type stream struct {
	id  string
	req *messages.TurnRequest // as sent, to send it again
	ch  chan any
}

// final waits for the turn's TurnDone or TurnFailed, returning the queued
// positions seen before it.
func (s *stream) final(t testing.TB) (end any, queued []int32) {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case m := <-s.ch:
			switch m := m.(type) {
			case *messages.TurnQueued:
				queued = append(queued, m.Position)
			case *messages.TurnDone, *messages.TurnFailed:
				return m, queued
			}
		case <-timeout:
			t.Fatalf("turn %s: no final event", s.id)
		}
	}
}

// done fails the test unless the turn succeeded; it returns the answer.
func (s *stream) done(t testing.TB) string {
	t.Helper()
	end, _ := s.final(t)
	d, ok := end.(*messages.TurnDone)
	if !ok {
		t.Fatalf("turn %s: %+v, want done", s.id, end)
	}
	return d.Content
}

// failed fails the test unless the turn failed; it returns the error.
func (s *stream) failed(t testing.TB) *messages.TurnError {
	t.Helper()
	end, _ := s.final(t)
	f, ok := end.(*messages.TurnFailed)
	if !ok {
		t.Fatalf("turn %s: %+v, want failed", s.id, end)
	}
	return f.Error
}

// watch returns a channel closed when pid stops.
func (h *harness) watch(pid *actor.PID) <-chan struct{} {
	gone := make(chan struct{})
	h.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		switch c.Message().(type) {
		case *actor.Started:
			c.Watch(pid)
		case *actor.Terminated:
			close(gone)
			c.Stop(c.Self())
		}
	}))
	return gone
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
	}
}
