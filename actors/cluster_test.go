package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/ccgateway/ccgateway/cluster"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/store/storetest"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// clusterSystem starts a System named node on st that gossips on loopback and
// joins join (none: a cluster of its own).
func clusterSystem(tb testing.TB, st store.Store, fake *testkit.FakeAPI, node string, join ...string) *System {
	tb.Helper()
	dir := tb.TempDir()
	cfg := Config{
		CLI:     claudecli.Config{Path: testkit.ClaudePath(tb), MaxRetries: -1, APITimeout: 10 * time.Second, Watchdog: time.Minute, Env: append(os.Environ(), fake.Env()...)},
		DataDir: dir, TurnTimeout: time.Minute, DefaultModel: benchModel, Node: node,
		Cluster:           cluster.Config{Name: "test", Bind: "127.0.0.1:0", Gossip: "127.0.0.1:0", Join: join},
		LeaseHandoverWait: 200 * time.Millisecond,
	}
	s, err := New(cfg, st, slog.New(slog.DiscardHandler))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}

// chatOnce runs one turn and returns its result or error.
func chatOnce(s *System, keyID, convID, text string) (Result, error) {
	ch, err := s.Chat(context.Background(), ChatRequest{APIKeyID: keyID, ConversationID: convID, Message: text})
	if err != nil {
		return Result{}, err
	}
	for ev := range ch {
		switch ev := ev.(type) {
		case Done:
			return ev.Result, nil
		case Failed:
			return Result{}, ev.Err
		}
	}
	return Result{}, errors.New("stream ended without a result")
}

func runsConversation(s *System, convID string) bool {
	return slices.ContainsFunc(s.Processes(), func(p ProcessInfo) bool { return p.ConversationID == convID })
}

// TestSplitBrainFencing: two nodes that each believe they are the whole cluster
// (two memberlist clusters of one, the worst disagreement) share one PostgreSQL.
// The store lease decides: only its holder runs turns and commits; a node whose
// lease was taken over (declared dead) runs no further turn, and its turn in
// flight cannot commit.
func TestSplitBrainFencing(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	a := clusterSystem(t, st, fake, "a")
	b := clusterSystem(t, st, fake, "b")
	ctx := context.Background()
	keyID := uuid.NewString()
	if err := st.CreateAPIKey(ctx, &store.APIKey{ID: keyID, Name: "k", Prefix: "sk-ccg-f", Hash: uuid.NewString(), Status: store.KeyActive}); err != nil {
		t.Fatal(err)
	}
	conv, err := a.CreateConversation(ctx, keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		t.Fatal(err)
	}
	messages := func() int {
		ms, err := st.ListMessages(ctx, conv.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}

	if _, err := chatOnce(a, keyID, conv.ID, "one on a"); err != nil {
		t.Fatal(err)
	}
	// b believes it owns the conversation too: the lease refuses it, and it
	// starts no CLI process.
	if _, err := chatOnce(b, keyID, conv.ID, "refused on b"); !errors.Is(err, ErrOwnedElsewhere) {
		t.Fatalf("b's turn while a holds the lease: %v, want ErrOwnedElsewhere", err)
	}
	if runsConversation(b, conv.ID) {
		t.Fatal("b started a CLI process for a conversation a holds")
	}

	// a is declared dead (it is not): its leases are taken over, b runs the next
	// turn from the stored transcript.
	if _, err := st.TakeOverLeases(ctx, leaseOwner("a", a.MemberID())); err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(b, keyID, conv.ID, "two on b"); err != nil {
		t.Fatalf("b after the take-over: %v", err)
	}
	if h := lastUserTexts(fake); !slices.ContainsFunc(h, func(s string) bool { return strings.Contains(s, "one on a") }) {
		t.Errorf("b's turn lacks a's history: %q", h)
	}
	// a still has its process but must not use it: its lease check fails.
	if _, err := chatOnce(a, keyID, conv.ID, "refused on a"); !errors.Is(err, ErrOwnedElsewhere) {
		t.Fatalf("a's turn after the take-over: %v, want ErrOwnedElsewhere", err)
	}
	for deadline := time.Now().Add(2 * time.Second); runsConversation(a, conv.ID); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a kept its CLI process after losing the lease")
		}
	}
	if n := messages(); n != 4 {
		t.Fatalf("%d stored messages after two committed turns, want 4", n)
	}

	// A turn in flight on b when b is declared dead: a takes over and commits; b's
	// turn cannot commit.
	chunks := make([]string, 10)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("c%d ", i)
	}
	fake.SetReply(func(r *testkit.Request) testkit.Reply {
		if strings.Contains(r.LastUserText(), "slow") {
			return testkit.Reply{Chunks: chunks, ChunkDelay: 100 * time.Millisecond}
		}
		return testkit.Reply{Text: "quick"}
	})
	slow := make(chan error, 1)
	before := len(fake.Requests())
	go func() { _, err := chatOnce(b, keyID, conv.ID, "slow on b"); slow <- err }()
	for len(fake.Requests()) == before {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := st.TakeOverLeases(ctx, leaseOwner("b", b.MemberID())); err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(a, keyID, conv.ID, "three on a"); err != nil {
		t.Fatalf("a after b's take-over: %v", err)
	}
	if err := <-slow; !errors.Is(err, ErrOwnedElsewhere) {
		t.Fatalf("b's turn in flight during the take-over: %v, want ErrOwnedElsewhere", err)
	}
	ms, err := st.ListMessages(ctx, conv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, m := range ms {
		texts = append(texts, m.Content)
	}
	if len(ms) != 6 || slices.Contains(texts, "slow on b") {
		t.Fatalf("stored messages %q: want three committed turns, not b's fenced one", texts)
	}
}

func lastUserTexts(f *testkit.FakeAPI) []string {
	reqs := f.Requests()
	if len(reqs) == 0 {
		return nil
	}
	var out []string
	for _, m := range reqs[len(reqs)-1].Messages {
		if m.Role == "user" {
			out = append(out, m.Text)
		}
	}
	return out
}

// BenchmarkClusterEntry compares a live turn (the conversation's process is warm)
// entering the owner node with one entering the other node of a two-node cluster:
// the difference is the cross-node cost (the request to the grain and the events
// streamed back over the actor endpoint). It needs PostgreSQL
// (CCGATEWAY_TEST_DATABASE_URL). One op is a pair of turns, one through each node.
func BenchmarkClusterEntry(b *testing.B) {
	st := storetest.OpenPostgres(b)
	fake := testkit.NewFakeAPI(b)
	x := clusterSystem(b, st, fake, "x")
	y := clusterSystem(b, st, fake, "y", x.prov.GossipAddr())
	for deadline := time.Now().Add(10 * time.Second); len(y.cl.MemberList.Members().Members()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatal("the two nodes did not form a cluster")
		}
	}
	keyID := newKeyID(b, st)
	conv, err := x.CreateConversation(context.Background(), keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := chatOnce(x, keyID, conv.ID, "warm up"); err != nil {
		b.Fatal(err)
	}
	owner, other := x, y
	if runsConversation(y, conv.ID) {
		owner, other = y, x
	}
	// Owner and non-owner turns alternate, so that a host's changing load hits
	// both alike; the paired difference is the added cost.
	var viaOwner, viaOther, added []float64
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	for b.Loop() {
		start := time.Now()
		if _, err := chatOnce(owner, keyID, conv.ID, "next"); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := chatOnce(other, keyID, conv.ID, "next"); err != nil {
			b.Fatal(err)
		}
		o, n := mid.Sub(start), time.Since(mid)
		viaOwner, viaOther, added = append(viaOwner, ms(o)), append(viaOther, ms(n)), append(added, ms(n-o))
	}
	p50 := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] }
	b.ReportMetric(p50(viaOwner), "owner-p50-ms")
	b.ReportMetric(p50(viaOther), "non-owner-p50-ms")
	b.ReportMetric(p50(added), "added-p50-ms")
}

// TestCrossNodeTurnStreamsAndCancels: a turn entering the node that does not own
// the conversation streams its deltas back from the owner, and a caller that
// leaves the entry node interrupts the turn on the owner.
func TestCrossNodeTurnStreamsAndCancels(t *testing.T) {
	st := storetest.OpenPostgres(t)
	fake := testkit.NewFakeAPI(t)
	x := clusterSystem(t, st, fake, "x")
	y := clusterSystem(t, st, fake, "y", x.prov.GossipAddr())
	for deadline := time.Now().Add(10 * time.Second); len(y.cl.MemberList.Members().Members()) < 2 || len(x.cl.MemberList.Members().Members()) < 2; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two nodes did not form a cluster")
		}
	}
	keyID := uuid.NewString()
	if err := st.CreateAPIKey(context.Background(), &store.APIKey{ID: keyID, Name: "k", Prefix: "sk-ccg-x", Hash: uuid.NewString(), Status: store.KeyActive}); err != nil {
		t.Fatal(err)
	}
	conv, err := x.CreateConversation(context.Background(), keyID, ConversationSpec{Model: benchModel})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chatOnce(x, keyID, conv.ID, "warm up"); err != nil {
		t.Fatal(err)
	}
	entry := y
	if runsConversation(y, conv.ID) {
		entry = x
	}
	chunks := make([]string, 40)
	for i := range chunks {
		chunks[i] = fmt.Sprintf("d%d ", i)
	}
	fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: chunks, ChunkDelay: 100 * time.Millisecond}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch, err := entry.Chat(ctx, ChatRequest{APIKeyID: keyID, ConversationID: conv.ID, Message: "stream across"})
	if err != nil {
		t.Fatal(err)
	}
	deltas := 0
	var canceled time.Time
	for ev := range ch {
		switch ev.(type) {
		case Delta:
			deltas++
			if deltas == 3 {
				cancel()
				canceled = time.Now()
			}
		case Done:
			t.Fatal("the turn ran to its end after the caller left")
		}
	}
	if deltas < 3 {
		t.Fatalf("%d deltas streamed back from the owner", deltas)
	}
	if took := time.Since(canceled); took > 3*time.Second {
		t.Errorf("the turn ended %s after the caller left (the reply takes 4 s)", took)
	}
	if runsConversation(entry, conv.ID) {
		t.Error("the entry node started a CLI process for a conversation it does not own")
	}
}
