package policyset

import (
	"context"
	"testing"
	"time"

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
