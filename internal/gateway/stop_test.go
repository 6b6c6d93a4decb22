package gateway

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/claudecli"
	"github.com/ccgateway/ccgateway/internal/store"
	"github.com/ccgateway/ccgateway/internal/testkit"
)

// stopReply answers every request with a reply cut by a stop sequence; the
// sequence is the request's first one (none: the reply ends normally).
func stopReply(r *testkit.Request) testkit.Reply {
	if len(r.StopSequences) == 0 {
		return testkit.Reply{Text: "echo: " + r.LastUserText()}
	}
	return testkit.Reply{Text: "echo: " + r.LastUserText(), StopReason: "stop_sequence", StopSequence: r.StopSequences[0]}
}

// lastStops returns the stop_sequences of the fake API's last request.
func lastStops(t *testing.T, g *gateway) []string {
	t.Helper()
	reqs := g.fake.Requests()
	if len(reqs) == 0 {
		t.Fatal("the fake API saw no messages request")
	}
	return reqs[len(reqs)-1].StopSequences
}

// TestStopSequencesNative sends stop sequences on the native API, then continues
// the conversation with other ones and with none: each turn's request carries its
// own, and the respawned process keeps the history.
func TestStopSequencesNative(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	g.fake.SetReply(stopReply)
	ctx := context.Background()

	resp, body := g.do(ctx, "POST", "/api/chat", key, map[string]any{"message": "first question", "stop_sequences": []string{"END", "\n\nUser:"}})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	out := decode[api.ChatResponse](t, body)
	if out.StopReason != "stop_sequence" || out.StopSequence != "END" {
		t.Errorf("stop_reason %q stop_sequence %q", out.StopReason, out.StopSequence)
	}
	if got := lastStops(t, g); !slices.Equal(got, []string{"END", "\n\nUser:"}) {
		t.Errorf("request stop_sequences %q", got)
	}

	for i, tc := range []struct {
		name  string
		stops []string
	}{
		{"other stop sequences", []string{"HALT"}},
		{"none", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := fmt.Sprintf("question %d", i+2)
			resp, body := g.do(ctx, "POST", "/api/conversations/"+out.ConversationID+"/continue", key,
				api.ChatRequest{Message: q, StopSequences: tc.stops})
			if resp.StatusCode != 200 {
				t.Fatalf("status %d: %s", resp.StatusCode, body)
			}
			next := decode[api.ChatResponse](t, body)
			wantReason, wantSeq := "end_turn", ""
			if len(tc.stops) > 0 {
				wantReason, wantSeq = "stop_sequence", tc.stops[0]
			}
			if next.ConversationID != out.ConversationID || next.StopReason != wantReason || next.StopSequence != wantSeq {
				t.Errorf("response %+v", next)
			}
			if got := lastStops(t, g); !slices.Equal(got, tc.stops) {
				t.Errorf("request stop_sequences %q, want %q", got, tc.stops)
			}
			raw := string(g.fake.Requests()[len(g.fake.Requests())-1].Raw)
			if !strings.Contains(raw, "first question") || !strings.Contains(raw, "echo: first question") {
				t.Errorf("the history was lost across the respawn: %.400s", raw)
			}
		})
	}
}

// TestStopSequencesSchemaCap keeps the schema's maxItems on the driver's limit.
func TestStopSequencesSchemaCap(t *testing.T) {
	t.Parallel()
	f, _ := reflect.TypeOf(api.ChatRequest{}).FieldByName("StopSequences")
	if got := f.Tag.Get("maxItems"); got != strconv.Itoa(claudecli.MaxStopSequences) {
		t.Errorf("maxItems %q, want %d", got, claudecli.MaxStopSequences)
	}
}

func TestStopSequencesNativeValidation(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	tests := []struct {
		name  string
		stops []string
		field string
	}{
		{"too many", []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "body.stop_sequences"},
		{"empty entry", []string{"END", ""}, "body.stop_sequences[1]"},
		{"whitespace only", []string{"\n"}, "body.stop_sequences[0]"},
		{"too long", []string{strings.Repeat("x", 257)}, "body.stop_sequences[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := g.do(context.Background(), "POST", "/api/chat", key, map[string]any{"message": "x", "stop_sequences": tt.stops})
			p := decodeProblem(t, resp, body)
			if resp.StatusCode != 422 || p.Code != api.CodeValidationFailed {
				t.Fatalf("got %d %q, want 422 %q: %s", resp.StatusCode, p.Code, api.CodeValidationFailed, body)
			}
			if !strings.Contains(string(body), `"`+tt.field+`"`) {
				t.Errorf("the problem does not name %s: %s", tt.field, body)
			}
		})
	}
	if n := len(g.fake.Requests()); n != 0 {
		t.Errorf("invalid requests reached the API %d times", n)
	}
}
