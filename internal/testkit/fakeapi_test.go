package testkit

import (
	"bufio"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends a Messages API request body to the fake.
func post(t *testing.T, f *FakeAPI, body string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.URL()+"/v1/messages", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return (&http.Client{Timeout: 5 * time.Second}).Do(req)
}

func TestFakeAPI(t *testing.T) {
	f := NewFakeAPI(t)
	const body = `{"model":"m","max_tokens":9,"temperature":0.2,"stream":%s,"system":[{"type":"text","text":"S"}],"messages":[{"role":"user","content":[{"type":"text","text":"ping"}]}]}`

	t.Run("streaming reply is SSE in order", func(t *testing.T) {
		resp, err := post(t, f, strings.Replace(body, "%s", "true", 1))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var events []string
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if e, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events = append(events, e)
			}
		}
		got := strings.Join(events, ",")
		want := "message_start,content_block_start,ping,content_block_delta,content_block_delta,content_block_stop,message_delta,message_stop"
		if got != want {
			t.Errorf("events = %s", got)
		}
		r := f.Requests()[len(f.Requests())-1]
		if r.Model != "m" || r.MaxTokens != 9 || *r.Temperature != 0.2 || r.System != "S" || r.LastUserText() != "ping" {
			t.Errorf("recorded %+v", r)
		}
	})

	t.Run("non-streaming reply is JSON", func(t *testing.T) {
		resp, err := post(t, f, strings.Replace(body, "%s", "false", 1))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(b), `"text":"echo: ping"`) || !strings.Contains(string(b), `"input_tokens":17`) {
			t.Errorf("body = %s", b)
		}
	})

	t.Run("error statuses", func(t *testing.T) {
		for code, typ := range map[int]string{401: "authentication_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"} {
			f.SetReply(func(*Request) Reply { return Reply{Status: code, RetryAfter: 3 * time.Second} })
			resp, err := post(t, f, strings.Replace(body, "%s", "true", 1))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != code || !strings.Contains(string(b), typ) || resp.Header.Get("retry-after") != "3" {
				t.Errorf("%d: status %d retry-after %q body %s", code, resp.StatusCode, resp.Header.Get("retry-after"), b)
			}
		}
		f.SetReply(nil)
	})

	t.Run("reset closes the connection", func(t *testing.T) {
		f.SetReply(func(*Request) Reply { return Reply{Reset: true} })
		defer f.SetReply(nil)
		if _, err := post(t, f, strings.Replace(body, "%s", "true", 1)); err == nil {
			t.Error("no error on reset")
		}
	})

	t.Run("stall hangs until the client goes away", func(t *testing.T) {
		f.SetReply(func(*Request) Reply { return Reply{Text: "a b c d", Stall: true} })
		defer f.SetReply(nil)
		req, _ := http.NewRequest(http.MethodPost, f.URL()+"/v1/messages", strings.NewReader(strings.Replace(body, "%s", "true", 1)))
		resp, err := (&http.Client{Timeout: 500 * time.Millisecond}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil || !strings.Contains(string(b), `"a "`) || strings.Contains(string(b), "message_stop") {
			t.Errorf("err %v body %s", err, b)
		}
		var ne interface{ Timeout() bool }
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("err = %v, want a client timeout", err)
		}
	})

	t.Run("other endpoints answer", func(t *testing.T) {
		resp, err := http.Post(f.URL()+"/v1/messages/count_tokens", "application/json", strings.NewReader(`{}`))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("count_tokens: %v", err)
		}
		resp.Body.Close()
		if len(f.AllRequests()) <= len(f.Requests()) {
			t.Error("count_tokens counted as a messages request")
		}
	})
}

func TestClaudePathAndFakeBuild(t *testing.T) {
	if p := ClaudePath(t); !strings.HasSuffix(p, "claude") {
		t.Errorf("ClaudePath = %q", p)
	}
	if p1, p2 := BuildFakeClaude(t), BuildFakeClaude(t); p1 != p2 {
		t.Errorf("builds not cached: %s %s", p1, p2)
	}
}
