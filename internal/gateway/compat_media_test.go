package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/internal/store"
)

// TestCompatRefusesNonJSONBodies: the compatible endpoints read their body raw, so
// huma's media-type check never ran on them and a text/plain body was accepted
// while the native endpoints answered 415. Every body endpoint under /v1/ now
// answers 415 in the client's own error shape, and nothing reaches the CLI.
func TestCompatRefusesNonJSONBodies(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	body := `{"model":"sonnet","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"input":"hi"}`
	for _, path := range []string{"/v1/chat/completions", "/v1/messages", "/v1/messages/count_tokens", "/v1/responses"} {
		for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"} {
			t.Run(path+" "+ct, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, g.srv.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", ct)
				req.Header.Set("Authorization", "Bearer "+key)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				if res.StatusCode != http.StatusUnsupportedMediaType {
					t.Fatalf("status %d, want 415", res.StatusCode)
				}
				var e struct {
					Type  string `json:"type"`
					Error struct {
						Message string `json:"message"`
					} `json:"error"`
				}
				if err := json.NewDecoder(res.Body).Decode(&e); err != nil || e.Error.Message == "" {
					t.Fatalf("not the dialect's error shape: %+v (%v)", e, err)
				}
			})
		}
	}
	if n := len(g.fake.Requests()); n != 0 {
		t.Fatalf("the fake API saw %d requests; a refused body must not reach the CLI", n)
	}
}
