package policyset

import (
	"context"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/policies"
	"github.com/ccgateway/ccgateway/policies/abi"
)

// Two managers on one store stand for two nodes: a change made through one
// reaches the other by Reload (a broadcast, or Watch as the fallback).
func TestReloadFollowsAnotherNodesChanges(t *testing.T) {
	st := newStore(t)
	a, _ := newManager(t, st)
	b, _ := newManager(t, st)
	ctx := context.Background()
	changed := make(chan struct{}, 4)
	a.OnChange(func() { changed <- struct{}{} })

	if ok, err := b.Reload(ctx); err != nil || ok {
		t.Fatalf("reload with nothing changed: %v, %v", ok, err)
	}
	create(t, a, windowUpload(t, "window", "9", true))
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("OnChange not called after an activation")
	}
	if ok, err := b.Reload(ctx); err != nil || !ok {
		t.Fatalf("reload after another node's activation: %v, %v", ok, err)
	}
	if got, want := chainString(b.Chain()), chainString(a.Chain()); got != want {
		t.Errorf("b's chain %s, a's %s", got, want)
	}
	if d := evaluate(t, b, abi.Input{NowMS: at1200}); d.Allow {
		t.Error("b does not decide with the policy activated on a")
	}
	if ok, _ := b.Reload(ctx); ok {
		t.Error("a second reload changed the chain again")
	}
	// Deletion on a, the store fallback on b.
	if err := a.Delete(ctx, "window"); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { b.Watch(wctx, 20*time.Millisecond, b.log); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for chainString(b.Chain()) != chainString(a.Chain()) {
		if time.Now().After(deadline) {
			t.Fatalf("Watch did not follow the deletion: %s vs %s", chainString(b.Chain()), chainString(a.Chain()))
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if d := evaluate(t, b, abi.Input{NowMS: at1200}); !d.Allow {
		t.Error("b still decides with the deleted policy")
	}
}

// A change loads only what it changes: the policies it keeps are the very ones the
// old chain ran (no second compile, instantiation or self-test run).
func TestChangeKeepsUnchangedPolicies(t *testing.T) {
	st := newStore(t)
	m, _ := newManager(t, st)
	before := running(t, m)
	create(t, m, windowUpload(t, "window", "9", true))
	after := running(t, m)
	for name, p := range before {
		if after[name] != p {
			t.Errorf("%s was loaded again by an unrelated activation", name)
		}
	}
	if after["window"] == nil {
		t.Fatal("the activated policy is not in the chain")
	}
}

// A deleted policy's name starts again at version 1: another node that follows by
// Reload must see the new module, though name and version are the same as before.
func TestReloadTellsReuploadedVersionsApart(t *testing.T) {
	st := newStore(t)
	a, _ := newManager(t, st)
	b, _ := newManager(t, st)
	ctx := context.Background()
	create(t, a, windowUpload(t, "window", "9", true))
	if ok, err := b.Reload(ctx); err != nil || !ok {
		t.Fatalf("reload: %v %v", ok, err)
	}
	if d := evaluate(t, b, abi.Input{NowMS: at1200}); d.Allow {
		t.Fatal("b allows at 12:00 with hours 9")
	}
	if err := a.Delete(ctx, "window"); err != nil {
		t.Fatal(err)
	}
	pv := create(t, a, windowUpload(t, "window", "12", true)) // b missed the deletion
	if pv.Version != 1 {
		t.Fatalf("the re-upload is version %d; this test needs the number reused", pv.Version)
	}
	if ok, err := b.Reload(ctx); err != nil || !ok {
		t.Fatalf("reload after a re-upload under the same version: %v %v", ok, err)
	}
	if d := evaluate(t, b, abi.Input{NowMS: at1200}); !d.Allow {
		t.Errorf("b still runs the deleted module: %s", denial(d))
	}
}

// running maps each policy of m's active chain to its loaded instance.
func running(t *testing.T, m *Manager) map[string]*policies.Policy {
	t.Helper()
	c, release, err := m.Registry().Acquire()
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	out := map[string]*policies.Policy{}
	for _, p := range c.Policies() {
		out[p.Name()] = p
	}
	return out
}

// BenchmarkReloadAfterActivation is what a node spends to follow another node's
// activation (the cluster broadcast's handler): each iteration flips which of two
// uploaded versions is active through a, then times b's Reload.
func BenchmarkReloadAfterActivation(b *testing.B) {
	st := newStore(b)
	a, _ := newManager(b, st)
	other, _ := newManager(b, st)
	ctx := context.Background()
	up := func(hours string) int64 {
		u := windowUpload(b, "window", hours, false)
		pv, err := a.Create(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		return pv.Version
	}
	v1, v2 := up("9"), up("10")
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		v := v1
		if i%2 == 1 {
			v = v2
		}
		if _, err := a.Activate(ctx, "window", v); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if ok, err := other.Reload(ctx); err != nil || !ok {
			b.Fatalf("reload: %v %v", ok, err)
		}
	}
}
