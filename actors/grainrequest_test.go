package actors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/actors/messages"
	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// crash stops s as a crashed host looks to the others: its gossip stops without
// a leave (the others declare it dead after their failure detection), it sends
// nothing more, and its actor endpoint goes silent: the open connections break
// and new ones are taken by a listener that never answers, so a request sent to
// it waits rather than failing fast (as it would if the host still refused
// connections). Its grains keep running, unheard, until the test's cleanup.
func crash(t *testing.T, s *System) {
	t.Helper()
	addr := s.sys.Address()
	_ = s.prov.Shutdown(false)
	s.cl.Remote.Shutdown(false)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("take over the crashed node's endpoint %s: %v", addr, err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	// The graceful stop's part that is left: the outgoing endpoints end, later
	// sends are dead letters (the server is stopped already).
	s.cl.Remote.Shutdown(true)
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
}

// formed waits until every system sees all of them alive.
func formed(t *testing.T, ss ...*System) {
	t.Helper()
	testkit.Eventually(t, 15*time.Second, "the nodes form one cluster", func() bool {
		for _, s := range ss {
			alive := 0
			for _, m := range s.Members() {
				if m.State == cluster.StateAlive {
					alive++
				}
			}
			if alive != len(ss) {
				return false
			}
		}
		return true
	})
}

func createKey(t *testing.T, st store.Store) string {
	t.Helper()
	k := &store.APIKey{ID: uuid.NewString(), Name: "k", Prefix: "sk-ccg-g", Hash: uuid.NewString(), Status: store.KeyActive}
	if err := st.CreateAPIKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return k.ID
}

// TestDeathWatch: a try whose request reached a member that then dies, and that
// will never answer, is abandoned once the cluster declares the member dead
// (errMemberDied), not when the caller's deadline passes.
func TestDeathWatch(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	x := clusterSystem(t, st, fake, "x")
	y := clusterSystem(t, st, fake, "y", x.prov.GossipAddr())
	formed(t, x, y)
	// An actor on y that takes requests and never answers.
	got := make(chan struct{}, 1)
	hole := y.sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if _, ok := c.Message().(*messages.TenantCountersRequest); ok {
			got <- struct{}{}
		}
	}))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := make(chan error, 1)
	go func() {
		_, err := x.try(ctx, hole, &messages.TenantCountersRequest{})
		res <- err
	}()
	select {
	case <-got:
	case err := <-res:
		t.Fatalf("the try ended before y got its request: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("y never got the request")
	}
	crash(t, y)
	select {
	case err := <-res:
		if !errors.Is(err, errMemberDied) {
			t.Fatalf("the try to a member that died ended with %v, want errMemberDied", err)
		}
		if ctx.Err() != nil {
			t.Fatalf("the try ended with the caller's deadline: %v", ctx.Err())
		}
	case <-ctx.Done():
		t.Fatal("the try to a member that died waited out the caller's deadline")
	}
	if !x.deaths.isGone(hole.Address) {
		t.Errorf("x still counts y's endpoint %s as a member", hole.Address)
	}
	// A try to the dead member's endpoint now ends at once.
	if _, err := x.try(ctx, hole, &messages.TenantCountersRequest{}); !errors.Is(err, errMemberDied) {
		t.Fatalf("a try to a member already dead: %v, want errMemberDied", err)
	}
}

// TestRequestMovesOnWhenMemberDies: right after the member hosting a
// conversation's grain (and maybe the key's tenant grain) is killed, a turn
// through the survivor succeeds without the caller retrying: its first try goes
// to the dead member and is abandoned when the cluster declares it dead; the
// next one activates the grain on the survivor, which resumes the conversation
// from the stored transcript.
func TestRequestMovesOnWhenMemberDies(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	x := clusterSystem(t, st, fake, "x")
	y := clusterSystem(t, st, fake, "y", x.prov.GossipAddr())
	formed(t, x, y)
	keyID := createKey(t, st)
	conv, err := x.CreateConversation(context.Background(), keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		t.Fatal(err)
	}
	// Both nodes have the grain's PID cached: the survivor's first try goes to the
	// dead owner.
	for _, s := range []*System{x, y} {
		if _, err := chatOnce(s, keyID, conv.ID, "before the crash via "+s.cfg.Node); err != nil {
			t.Fatal(err)
		}
	}
	owner, survivor := x, y
	if runsConversation(y, conv.ID) {
		owner, survivor = y, x
	}
	if _, err := survivor.Counters(context.Background(), keyID); err != nil {
		t.Fatal(err)
	}

	crash(t, owner)
	crashed := time.Now()
	res, err := chatOnce(survivor, keyID, conv.ID, "after the crash")
	if err != nil {
		t.Fatalf("the first turn after the owner's crash: %v", err)
	}
	t.Logf("the first turn after the crash answered after %s", time.Since(crashed))
	if res.Content == "" || res.ConversationID != conv.ID {
		t.Fatalf("the turn after the crash answered %+v", res)
	}
	if !runsConversation(survivor, conv.ID) {
		t.Error("the survivor runs no CLI process for the conversation")
	}
	if h := lastUserTexts(fake); !slices.ContainsFunc(h, func(s string) bool { return strings.Contains(s, "before the crash via x") }) {
		t.Errorf("the turn on the survivor lacks the history: %q", h)
	}
	// The key's tenant grain answers from the survivor too.
	if _, err := survivor.Counters(context.Background(), keyID); err != nil {
		t.Fatalf("counters after the crash: %v", err)
	}
	ms, err := st.ListMessages(context.Background(), conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 6 {
		t.Fatalf("%d stored messages, want 6 (three turns, each once)", len(ms))
	}
}

// TestTurnInFlightFailsWhenItsMemberDies: a turn streaming from a member that
// crashes ends with ErrOwnedElsewhere once the cluster declares the member dead
// (nothing else would reach its receiver); the caller's next turn resumes the
// conversation on the survivor.
func TestTurnInFlightFailsWhenItsMemberDies(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	x := clusterSystem(t, st, fake, "x")
	y := clusterSystem(t, st, fake, "y", x.prov.GossipAddr())
	formed(t, x, y)
	keyID := createKey(t, st)
	conv, err := x.CreateConversation(context.Background(), keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(x, keyID, conv.ID, "warm up"); err != nil {
		t.Fatal(err)
	}
	owner, entry := x, y
	if runsConversation(y, conv.ID) {
		owner, entry = y, x
	}
	chunks := make([]string, 100)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("c%d ", i)
	}
	fake.SetReply(func(r *testkit.Request) testkit.Reply {
		if strings.Contains(r.LastUserText(), "slow") {
			return testkit.Reply{Chunks: chunks, ChunkDelay: 200 * time.Millisecond} // 20 s
		}
		return testkit.Reply{Text: "quick"}
	})
	ch, err := entry.Chat(context.Background(), ChatRequest{APIKeyID: keyID, ConversationID: conv.ID, Message: "slow"})
	if err != nil {
		t.Fatal(err)
	}
	deltas := 0
	var end Event
	guard := time.After(time.Minute) // the receiver's own limit is minutes away
wait:
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				break wait
			}
			switch ev.(type) {
			case Delta:
				deltas++
				if deltas == 2 {
					crash(t, owner)
				}
			case Done, Failed:
				end = ev
			}
		case <-guard:
			t.Fatal("the turn whose member crashed is still waiting")
		}
	}
	f, ok := end.(Failed)
	if !ok || !errors.Is(f.Err, ErrOwnedElsewhere) {
		t.Fatalf("the turn whose member crashed ended with %#v, want ErrOwnedElsewhere", end)
	}
	if _, err := chatOnce(entry, keyID, conv.ID, "retried"); err != nil {
		t.Fatalf("the retry on the survivor: %v", err)
	}
	if !runsConversation(entry, conv.ID) {
		t.Error("the retried turn did not run on the survivor")
	}
}
