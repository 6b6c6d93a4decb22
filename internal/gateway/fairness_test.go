package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// streamTurn runs one streamed chat and returns its queue position (0 = none) and
// whether it ended with done.
func (g *gateway) streamTurn(key, msg string) (queuedAt int, ok bool) {
	body, _ := json.Marshal(api.ChatRequest{Message: msg, Stream: true})
	req, _ := http.NewRequestWithContext(context.Background(), "POST", g.srv.URL+"/api/chat", strings.NewReader(string(body)))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: ") && event == "queued":
			var q api.QueuedEvent
			_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &q)
			queuedAt = q.Position
		case strings.HasPrefix(line, "data: ") && event == "done":
			return queuedAt, true
		}
	}
	return queuedAt, false
}

// TestFairQueue: 20 turns against 10 processes all succeed, and a key with 15
// turns does not push another key's single turn behind its own queue.
func TestFairQueue(t *testing.T) {
	g := newGateway(t)
	g.fake.SetReply(func(*testkit.Request) testkit.Reply {
		return testkit.Reply{Text: "slow answer", FirstByteDelay: 1500 * time.Millisecond}
	})
	heavy, _ := g.newKey(store.KeyActive)
	light, _ := g.newKey(store.KeyActive)
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	run := func(key string) int {
		pos, ok := g.streamTurn(key, "hi")
		if !ok {
			mu.Lock()
			failures++
			mu.Unlock()
		}
		return pos
	}
	for range 15 {
		wg.Add(1)
		go func() { defer wg.Done(); run(heavy) }()
	}
	// Wait until the heavy key fills every slot and queues the rest.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if st := g.system().ProcessStatus(); st.QueueByKey != nil && sumQueue(st.QueueByKey) == 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the heavy key's turns never queued: %+v", g.system().ProcessStatus())
		}
	}
	lightPos := make(chan int, 1)
	wg.Add(1)
	go func() { defer wg.Done(); lightPos <- run(light) }()
	for range 4 {
		wg.Add(1)
		go func() { defer wg.Done(); run(heavy) }()
	}
	wg.Wait()
	if failures > 0 {
		t.Fatalf("%d of 20 turns failed", failures)
	}
	if p := <-lightPos; p < 1 || p > 2 {
		t.Fatalf("the light key's turn queued at position %d, want 1 or 2 (round-robin), not behind the heavy key's 5", p)
	}
}

func sumQueue(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
