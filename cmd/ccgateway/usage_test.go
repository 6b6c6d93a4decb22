package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// TestSIGTERMUnderLoadLosesNoUsage fires concurrent chats at the real binary,
// sends SIGTERM while they run, and checks that every request that got a
// response left exactly one usage event in the database.
func TestSIGTERMUnderLoadLosesNoUsage(t *testing.T) {
	fake := testkit.NewFakeAPI(t)
	fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Chunks: []string{"a ", "b ", "c ", "d ", "e ", "f"}, ChunkDelay: 100 * time.Millisecond}
	})
	data := t.TempDir()
	out, err := exec.Command(binary(t), "keys", "create", "--name", "load", "--json", "--data-dir", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	var k newKeyJSON
	if err := json.Unmarshal(out, &k); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(fake, "CCGATEWAY_CLAUDE_PATH="+testkit.ClaudePath(t))
	// A long flush interval: the events must come out of the shutdown flush.
	cmd, base, logs := startServe(t, env, "--data-dir", data, "--shutdown-timeout", "4s", "--usage-flush-interval", "1h")

	const n = 10
	var responded atomic.Int64
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 120 * time.Millisecond) // some arrive after SIGTERM
			body := fmt.Sprintf(`{"message":"load %d","stream":%t}`, i, i%2 == 0)
			req, _ := http.NewRequest("POST", base+"/api/chat", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+k.Key)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return // refused after the listener closed: no response, no event
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			responded.Add(1)
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v\n%s", err, logs)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not exit\n%s", logs)
	}

	st, err := store.Open(context.Background(), "", data)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	evs, total, err := st.ListUsageEvents(context.Background(), store.UsageFilter{APIKeyID: k.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[int]int{}
	for _, ev := range evs {
		statuses[ev.StatusCode]++
	}
	t.Logf("%d of %d requests got a response; %d usage events by status %v", responded.Load(), n, total, statuses)
	if responded.Load() == 0 || int64(total) != responded.Load() {
		t.Fatalf("%d usage events for %d answered requests\n%s", total, responded.Load(), logs)
	}
	if !strings.Contains(logs.String(), "usage events flushed") {
		t.Errorf("no flush at shutdown in the log:\n%s", logs)
	}
}
