package compat_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/ccgateway/ccgateway/api/compat"
)

func TestParseResponses(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		check      func(t *testing.T, r *compat.ResponsesRequest)
		param      string // the refused field, "" = accepted
	}{
		{name: "string input", body: `{"model":"sonnet","input":"hi","instructions":"Be brief.","max_output_tokens":64,"temperature":1.5}`,
			check: func(t *testing.T, r *compat.ResponsesRequest) {
				if len(r.Messages) != 1 || r.Messages[0] != (compat.Message{Role: "user", Text: "hi"}) {
					t.Errorf("messages %+v", r.Messages)
				}
				if r.System != "Be brief." || r.MaxTokens != 64 || *r.Temperature != 1 || !r.Store {
					t.Errorf("system %q, max %d, temperature %v, store %v", r.System, r.MaxTokens, *r.Temperature, r.Store)
				}
			}},
		{name: "message list", body: `{"input":[{"role":"developer","content":"Rules."},{"role":"user","content":[{"type":"input_text","text":"a"}]},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"b"}]},{"role":"user","content":"c"}],"previous_response_id":"resp_1","store":false,"metadata":{"k":"v"}}`,
			check: func(t *testing.T, r *compat.ResponsesRequest) {
				want := []compat.Message{{Role: "user", Text: "a"}, {Role: "assistant", Text: "b"}, {Role: "user", Text: "c"}}
				if fmt.Sprint(r.Messages) != fmt.Sprint(want) || r.System != "Rules." || r.PreviousResponseID != "resp_1" || r.Store || r.Metadata["k"] != "v" {
					t.Errorf("%+v", r)
				}
			}},
		{name: "tool_choice auto is fine", body: `{"input":"x","tool_choice":"auto","tools":[]}`},
		{name: "tools", body: `{"input":"x","tools":[{"type":"function","name":"f"}]}`, param: "tools"},
		{name: "reasoning", body: `{"input":"x","reasoning":{"effort":"high"}}`, param: "reasoning"},
		{name: "json output", body: `{"input":"x","text":{"format":{"type":"json_schema"}}}`, param: "text.format"},
		{name: "background", body: `{"input":"x","background":true}`, param: "background"},
		{name: "image", body: `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"http://x"}]}]}`, param: "input[0].content[0]"},
		{name: "function output item", body: `{"input":[{"type":"function_call_output","call_id":"c","output":"o"}]}`, param: "input[0].type"},
		{name: "no input", body: `{"model":"sonnet"}`, param: "input"},
		{name: "ends with assistant", body: `{"input":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}`, param: "input"},
		{name: "zero max_output_tokens", body: `{"input":"x","max_output_tokens":0}`, param: "max_output_tokens"},
		{name: "top_p", body: `{"input":"x","top_p":0.5}`, param: "top_p"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := compat.ParseResponses([]byte(tc.body))
			switch {
			case tc.param == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.param != "" && err == nil:
				t.Fatalf("accepted, want a refusal of %s", tc.param)
			case tc.param != "":
				if err.Param != tc.param || err.Status != 400 || err.Message == "" {
					t.Fatalf("refusal %+v, want param %s", err, tc.param)
				}
			case tc.check != nil:
				tc.check(t, r)
			}
		})
	}
}

func frame(t *testing.T) compat.ResponseFrame {
	req, perr := compat.ParseResponses([]byte(`{"model":"sonnet","input":"hi","instructions":"Be brief.","previous_response_id":"resp_prev"}`))
	if perr != nil {
		t.Fatal(perr)
	}
	return compat.ResponseFrame{ID: "resp_abc", ItemID: "msg_abc", CreatedAt: 1700000000, Model: "claude-sonnet-4-6", Req: req}
}

var result = compat.Result{Model: "claude-sonnet-4-6", Text: "Hello there", StopReason: "end_turn",
	Usage: compat.Usage{InputTokens: 10, CacheReadInputTokens: 5, OutputTokens: 3}}

// sdkClient is the official OpenAI Go SDK pointed at a server that answers every
// request with serve.
func sdkClient(t *testing.T, serve http.HandlerFunc) openai.Client {
	srv := httptest.NewServer(serve)
	t.Cleanup(srv.Close)
	return openai.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("k"), option.WithMaxRetries(0))
}

// TestResponseObjectDecodesInTheSDK checks the non-streamed response object with
// openai-go's own decoder and helpers.
func TestResponseObjectDecodesInTheSDK(t *testing.T) {
	for _, tc := range []struct {
		stop, status, reason string
	}{{"end_turn", "completed", ""}, {"max_tokens", "incomplete", "max_output_tokens"}, {"refusal", "incomplete", "content_filter"}} {
		t.Run(tc.stop, func(t *testing.T) {
			res := result
			res.StopReason = tc.stop
			c := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_ = json.NewEncoder(w).Encode(frame(t).Finished(res))
			})
			got, err := c.Responses.New(t.Context(), responses.ResponseNewParams{Model: "sonnet", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != "resp_abc" || got.OutputText() != "Hello there" || string(got.Status) != tc.status || string(got.IncompleteDetails.Reason) != tc.reason {
				t.Errorf("id %q text %q status %q reason %q", got.ID, got.OutputText(), got.Status, got.IncompleteDetails.Reason)
			}
			if got.Usage.InputTokens != 15 || got.Usage.InputTokensDetails.CachedTokens != 5 || got.Usage.OutputTokens != 3 || got.Usage.TotalTokens != 18 {
				t.Errorf("usage %+v", got.Usage)
			}
			if got.PreviousResponseID != "resp_prev" || got.Instructions.OfString != "Be brief." || got.Model != "claude-sonnet-4-6" {
				t.Errorf("echoed settings: previous %q instructions %q model %q", got.PreviousResponseID, got.Instructions.OfString, got.Model)
			}
		})
	}
}

func sse(w http.ResponseWriter, events []compat.ResponseEvent) {
	w.Header().Set("Content-Type", "text/event-stream")
	for _, ev := range events {
		b, _ := json.Marshal(ev)
		fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b)
	}
}

// TestResponseStreamInTheSDK streams the events through openai-go's Responses
// stream decoder and its accumulated text.
func TestResponseStreamInTheSDK(t *testing.T) {
	c := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		s := &compat.ResponseStream{Frame: frame(t)}
		events := s.Start()
		for _, d := range []string{"Hello", " there"} {
			events = append(events, s.Delta(d))
		}
		sse(w, append(events, s.Finish(result)...))
	})
	stream := c.Responses.NewStreaming(t.Context(), responses.ResponseNewParams{Model: "sonnet", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	var types []string
	var deltas strings.Builder
	var final responses.Response
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		if int(ev.SequenceNumber) != len(types)-1 {
			t.Errorf("event %s has sequence number %d", ev.Type, ev.SequenceNumber)
		}
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.completed":
			final = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	want := "response.created response.in_progress response.output_item.added response.content_part.added response.output_text.delta response.output_text.delta response.output_text.done response.content_part.done response.output_item.done response.completed"
	if strings.Join(types, " ") != want {
		t.Errorf("events\n got  %s\n want %s", strings.Join(types, " "), want)
	}
	if deltas.String() != "Hello there" || final.OutputText() != "Hello there" || final.Status != "completed" || final.Usage.OutputTokens != 3 {
		t.Errorf("deltas %q, final %q %s %+v", deltas.String(), final.OutputText(), final.Status, final.Usage)
	}
}

// TestResponseStreamFailureInTheSDK checks that a failure after the start reaches
// the SDK as a stream error carrying the request id.
func TestResponseStreamFailureInTheSDK(t *testing.T) {
	c := sdkClient(t, func(w http.ResponseWriter, r *http.Request) {
		s := &compat.ResponseStream{Frame: frame(t)}
		events := append(s.Start(), s.Delta("Hel"))
		sse(w, append(events, s.Fail("upstream_error", "the model API failed", "req-123")...))
	})
	stream := c.Responses.NewStreaming(t.Context(), responses.ResponseNewParams{Model: "sonnet", Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
	var sawError bool
	for stream.Next() {
		if ev := stream.Current(); ev.Type == "error" {
			sawError = ev.Code == "upstream_error" && strings.Contains(ev.Message, "req-123")
		}
	}
	err := stream.Err()
	if !sawError && (err == nil || !strings.Contains(err.Error(), "req-123")) {
		t.Fatalf("the failure did not reach the SDK with its request id: saw error event %v, err %v", sawError, err)
	}
}
