package auth

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSignatureVerifier(t *testing.T) {
	const secret = "sig-ccg-testsecret"
	clock := newTestClock()
	v := NewSignatureVerifier(SigningConfig{}, WithClock(clock.Now))
	now := clock.Now().Unix()
	body := []byte(`{"model":"sonnet"}`)
	ts := func(sec int64) string { return strconv.FormatInt(now+sec, 10) }
	sign := func(sec int64, method, path string, body []byte) string {
		return Sign(secret, now+sec, method, path, body)
	}
	replayed := sign(-1, "POST", "/v1/chat", body)
	tests := []struct {
		name            string
		secret, ts, sig string
		method, path    string
		body            []byte
		want            error
	}{
		{"valid", secret, ts(0), sign(0, "POST", "/v1/chat?stream=1", body), "POST", "/v1/chat?stream=1", body, nil},
		{"lower-case method signs the same", secret, ts(1), sign(1, "post", "/v1/chat", body), "POST", "/v1/chat", body, nil},
		{"edge of window", secret, ts(-300), sign(-300, "GET", "/v1/models", nil), "GET", "/v1/models", nil, nil},
		{"first use", secret, ts(-1), replayed, "POST", "/v1/chat", body, nil},
		{"replayed", secret, ts(-1), replayed, "POST", "/v1/chat", body, ErrSignatureReplayed},
		{"stale", secret, ts(-360), sign(-360, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureExpired},
		{"future skewed", secret, ts(360), sign(360, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureExpired},
		{"tampered body", secret, ts(2), sign(2, "POST", "/v1/chat", body), "POST", "/v1/chat", []byte(`{"model":"opus"}`), ErrSignatureInvalid},
		{"tampered path", secret, ts(3), sign(3, "POST", "/v1/chat", body), "POST", "/v1/chat?x=1", body, ErrSignatureInvalid},
		{"tampered method", secret, ts(4), sign(4, "POST", "/v1/chat", body), "DELETE", "/v1/chat", body, ErrSignatureInvalid},
		{"tampered timestamp", secret, ts(5), sign(6, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureInvalid},
		{"wrong secret", "sig-ccg-other", ts(7), sign(7, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureInvalid},
		{"missing signature", secret, ts(0), "", "POST", "/v1/chat", body, ErrSignatureMissing},
		{"missing timestamp", secret, "", sign(0, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureMissing},
		{"non-canonical timestamp", secret, "0" + ts(8), sign(8, "POST", "/v1/chat", body), "POST", "/v1/chat", body, ErrSignatureInvalid},
		{"no version prefix", secret, ts(9), strings.TrimPrefix(sign(9, "POST", "/v1/chat", body), "v1="), "POST", "/v1/chat", body, ErrSignatureInvalid},
		{"overlong signature", secret, ts(10), sign(10, "POST", "/v1/chat", body) + "00", "POST", "/v1/chat", body, ErrSignatureInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := v.Verify(tt.secret, tt.ts, tt.sig, tt.method, tt.path, tt.body)
			if (tt.want == nil && err != nil) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}

	t.Run("request helper", func(t *testing.T) {
		r := httptest.NewRequest("PUT", "/v1/keys/abc?force=true", strings.NewReader("x"))
		r.Header.Set(HeaderTimestamp, ts(11))
		r.Header.Set(HeaderSignature, sign(11, "PUT", "/v1/keys/abc?force=true", []byte("x")))
		if err := v.VerifyRequest(secret, r, []byte("x")); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReplayCacheBoundedAndPruned(t *testing.T) {
	clock := newTestClock()
	v := NewSignatureVerifier(SigningConfig{Window: time.Minute, ReplayCacheSize: 3}, WithClock(clock.Now))
	send := func(i int) error {
		ts := clock.Now().Unix()
		path := "/p/" + strconv.Itoa(i)
		return v.Verify("s", strconv.FormatInt(ts, 10), Sign("s", ts, "GET", path, nil), "GET", path, nil)
	}
	for i := range 3 {
		if err := send(i); err != nil {
			t.Fatal(err)
		}
	}
	if err := send(3); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("err = %v, want ErrReplayCacheFull", err)
	}
	clock.Advance(61 * time.Second)
	if err := send(4); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
	if n := len(v.keys[sha256.Sum256([]byte("s"))].seen); n != 1 {
		t.Fatalf("cache holds %d entries, want 1", n)
	}
}

// TestReplayCacheIsBoundedPerKey: one key that fills the replay cache (issue 13
// item 19) refuses only its own signed requests; every other key's still pass.
func TestReplayCacheIsBoundedPerKey(t *testing.T) {
	clock := newTestClock()
	v := NewSignatureVerifier(SigningConfig{Window: time.Minute, ReplayCacheSize: 5}, WithClock(clock.Now))
	send := func(secret string, i int) error {
		ts := clock.Now().Unix()
		path := "/p/" + strconv.Itoa(i)
		return v.Verify(secret, strconv.FormatInt(ts, 10), Sign(secret, ts, "GET", path, nil), "GET", path, nil)
	}
	for i := range 5 {
		if err := send("sig-ccg-flooder", i); err != nil {
			t.Fatal(err)
		}
	}
	if err := send("sig-ccg-flooder", 99); !errors.Is(err, ErrReplayCacheFull) {
		t.Fatalf("flooder's 6th request: %v, want ErrReplayCacheFull", err)
	}
	for i := range 5 {
		if err := send("sig-ccg-other", i); err != nil {
			t.Fatalf("another key's request %d refused: %v", i, err)
		}
	}
}

// TestSignatureCoversConversationHeader replays issue 13 item 12: a signed
// request must not be redirected into another conversation (or out of one) by
// adding, changing or removing X-Conversation-Id in transit.
func TestSignatureCoversConversationHeader(t *testing.T) {
	clock := newTestClock()
	v := NewSignatureVerifier(SigningConfig{}, WithClock(clock.Now))
	const secret = "sig-ccg-conversation"
	body := []byte(`{"messages":[{"role":"user","content":"hi"}]}`)
	newReq := func(conv string) *http.Request {
		r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
		if conv != "" {
			r.Header.Set("X-Conversation-Id", conv)
		}
		return r
	}
	ts := clock.Now().Unix()
	signedFor := func(conv string) string { return SignRequest(secret, ts, newReq(conv), body) }
	if signedFor("") != Sign(secret, ts, "POST", "/v1/chat/completions", body) {
		t.Fatal("a request without signed headers must sign as before")
	}
	for _, tt := range []struct {
		name, signed, sent string
		want               error
	}{
		{"changed", "conv-a", "conv-b", ErrSignatureInvalid},
		{"added", "", "conv-b", ErrSignatureInvalid},
		{"removed", "conv-a", "", ErrSignatureInvalid},
		{"as signed", "conv-a", "conv-a", nil},
		{"none", "", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newReq(tt.sent)
			r.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
			r.Header.Set(HeaderSignature, signedFor(tt.signed))
			if err := v.VerifyRequest(secret, r, body); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

// Two verifiers stand for two nodes: what one accepts reaches the other through
// OnAccept and Remember (the cluster broadcast), and its replay is refused there.
func TestSignatureReplayAcrossNodes(t *testing.T) {
	const secret = "sig-ccg-testsecret"
	clock := newTestClock()
	a := NewSignatureVerifier(SigningConfig{}, WithClock(clock.Now))
	b := NewSignatureVerifier(SigningConfig{}, WithClock(clock.Now))
	a.OnAccept(b.Remember)
	now := clock.Now().Unix()
	ts := strconv.FormatInt(now, 10)
	sig := Sign(secret, now, "POST", "/api/chat", []byte("hi"))
	if err := a.Verify(secret, ts, sig, "POST", "/api/chat", []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if err := b.Verify(secret, ts, sig, "POST", "/api/chat", []byte("hi")); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay on the other node: %v, want ErrSignatureReplayed", err)
	}
	// Refused or stale signatures are not passed on.
	other := Sign(secret, now, "POST", "/api/chat", []byte("other"))
	if err := a.Verify(secret, ts, other, "POST", "/api/chat", []byte("tampered")); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatal(err)
	}
	if err := b.Verify(secret, ts, other, "POST", "/api/chat", []byte("other")); err != nil {
		t.Fatalf("a refused signature reached the other node: %v", err)
	}
	var stale [32]byte
	key := sha256.Sum256([]byte(secret))
	b.Remember(key, stale, now-1)
	if n := len(b.keys[key].seen); n != 2 {
		t.Errorf("replay cache holds %d, want 2 (a stale entry is ignored)", n)
	}
}
