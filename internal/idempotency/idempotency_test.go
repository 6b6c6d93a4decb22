package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ccgateway/ccgateway/internal/store"
)

type harness struct {
	st    store.Store
	m     *Middleware
	calls atomic.Int32
	h     http.Handler
	// answer is what the wrapped handler sends: status and body.
	status  int
	release chan struct{} // when set, the handler waits for it
	started chan struct{}
}

func newHarness(t testing.TB) *harness {
	st, err := store.Open(context.Background(), "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	x := &harness{st: st, status: http.StatusCreated}
	x.m = New(st, Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), func(w http.ResponseWriter, r *http.Request, f Refusal) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(f.Status)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": f.Status, "code": f.Code, "detail": f.Detail})
	})
	x.h = x.m.Wrap("create-conversation", func(r *http.Request) string { return r.Header.Get("X-Test-Owner") },
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := x.calls.Add(1)
			if x.started != nil {
				x.started <- struct{}{}
			}
			if x.release != nil {
				<-x.release
			}
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Location", "/api/conversations/c"+itoa(n))
			w.Header().Set("X-Request-Id", "req-"+itoa(n))
			w.WriteHeader(x.status)
			_ = json.NewEncoder(w).Encode(map[string]any{"id": "c" + itoa(n), "echo": string(b)})
		}))
	return x
}

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func itoa(n int32) string { return string(rune('0' + n)) }

func (x *harness) post(owner, key, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", "/api/conversations", strings.NewReader(body))
	r.Header.Set("X-Test-Owner", owner)
	if key != "" {
		r.Header.Set(Header, key)
	}
	w := httptest.NewRecorder()
	x.h.ServeHTTP(w, r)
	return w
}

func code(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var p struct{ Code string }
	_ = json.Unmarshal(w.Body.Bytes(), &p)
	return p.Code
}

func TestRetryGetsTheFirstAnswer(t *testing.T) {
	x := newHarness(t)
	first := x.post("k1", "abc", `{"title":"t"}`)
	again := x.post("k1", "abc", `{"title":"t"}`)
	if x.calls.Load() != 1 {
		t.Fatalf("the handler ran %d times, want once", x.calls.Load())
	}
	if again.Code != 201 || again.Body.String() != first.Body.String() || again.Header().Get("Location") != "/api/conversations/c1" {
		t.Fatalf("replay %d %q %v, first %q", again.Code, again.Body.String(), again.Header(), first.Body.String())
	}
	if again.Header().Get(ReplayedHeader) != "true" || first.Header().Get(ReplayedHeader) != "" {
		t.Errorf("Idempotent-Replayed: first %q, replay %q", first.Header().Get(ReplayedHeader), again.Header().Get(ReplayedHeader))
	}
	if again.Header().Get("X-Request-Id") != "" {
		t.Errorf("the replay carries the first exchange's request id")
	}
}

func TestOtherBodyIs422(t *testing.T) {
	x := newHarness(t)
	x.post("k1", "abc", `{"title":"t"}`)
	w := x.post("k1", "abc", `{"title":"other"}`)
	if w.Code != 422 || code(t, w) != CodeKeyReused || x.calls.Load() != 1 {
		t.Fatalf("%d %s, handler ran %d times", w.Code, w.Body.String(), x.calls.Load())
	}
}

func TestKeysAreScopedByOwner(t *testing.T) {
	x := newHarness(t)
	x.post("k1", "abc", `{}`)
	w := x.post("k2", "abc", `{}`)
	if w.Code != 201 || w.Header().Get(ReplayedHeader) != "" || x.calls.Load() != 2 {
		t.Fatalf("another owner's key was replayed: %d %v", w.Code, w.Header())
	}
}

func TestNoKeyRunsEveryTime(t *testing.T) {
	x := newHarness(t)
	x.post("k1", "", `{}`)
	x.post("k1", "", `{}`)
	if x.calls.Load() != 2 {
		t.Fatalf("ran %d times", x.calls.Load())
	}
}

func TestInvalidKey(t *testing.T) {
	x := newHarness(t)
	for _, k := range []string{"has space", strings.Repeat("k", 256), "ünïcode"} {
		if w := x.post("k1", k, `{}`); w.Code != 400 || code(t, w) != CodeInvalidKey {
			t.Errorf("key %q: %d %s", k, w.Code, w.Body.String())
		}
	}
	if x.calls.Load() != 0 {
		t.Errorf("the handler ran")
	}
}

func TestRetryWhileRunningIs409(t *testing.T) {
	x := newHarness(t)
	x.release, x.started = make(chan struct{}), make(chan struct{}, 1)
	done := make(chan *httptest.ResponseRecorder)
	go func() { done <- x.post("k1", "abc", `{}`) }()
	<-x.started
	w := x.post("k1", "abc", `{}`)
	if w.Code != 409 || code(t, w) != CodeInProgress || w.Header().Get("Retry-After") == "" {
		t.Errorf("retry while running: %d %v %s", w.Code, w.Header(), w.Body.String())
	}
	close(x.release)
	if first := <-done; first.Code != 201 {
		t.Fatalf("first: %d", first.Code)
	}
	x.started = nil
	if w := x.post("k1", "abc", `{}`); w.Header().Get(ReplayedHeader) != "true" {
		t.Errorf("after the first finished: %d %v", w.Code, w.Header())
	}
}

func TestRetryableAnswersAreNotKept(t *testing.T) {
	for _, status := range []int{429, 500, 503} {
		x := newHarness(t)
		x.status = status
		x.post("k1", "abc", `{}`)
		x.status = 201
		if w := x.post("k1", "abc", `{}`); w.Code != 201 || w.Header().Get(ReplayedHeader) != "" || x.calls.Load() != 2 {
			t.Errorf("after a %d the retry got %d (replayed %q)", status, w.Code, w.Header().Get(ReplayedHeader))
		}
	}
}

func TestExpiredAndAbandonedKeys(t *testing.T) {
	x := newHarness(t)
	x.post("k1", "abc", `{"a":1}`)
	x.m.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if w := x.post("k1", "abc", `{"a":2}`); w.Code != 201 || w.Header().Get(ReplayedHeader) != "" {
		t.Fatalf("a day later the key still held: %d %s", w.Code, w.Body.String())
	}
	// An in-flight record whose node died: a claim with no answer.
	x.m.now = time.Now
	_, err := x.st.ClaimIdempotencyKey(context.Background(), &store.IdempotencyRecord{Scope: "k1", Operation: "create-conversation", Key: "lost", RequestHash: hashOf("POST /api/conversations\n{}")}, time.Now().Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if w := x.post("k1", "lost", `{}`); w.Code != 409 {
		t.Fatalf("a fresh in-flight record: %d", w.Code)
	}
	x.m.now = func() time.Time { return time.Now().Add(20 * time.Minute) }
	if w := x.post("k1", "lost", `{}`); w.Code != 201 {
		t.Fatalf("an abandoned in-flight record still blocks: %d %s", w.Code, w.Body.String())
	}
}

func TestPurge(t *testing.T) {
	x := newHarness(t)
	x.post("k1", "abc", `{}`)
	if n, err := x.m.Purge(context.Background()); err != nil || n != 0 {
		t.Fatalf("purged %d (%v) fresh records", n, err)
	}
	x.m.now = func() time.Time { return time.Now().Add(25 * time.Hour) }
	if n, err := x.m.Purge(context.Background()); err != nil || n != 1 {
		t.Fatalf("purged %d (%v), want 1", n, err)
	}
}
