package gateway

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/ccgateway/ccgateway/internal/store"
)

// TestCompatOpenAIStop sends OpenAI's stop as a string, as an array and streamed,
// in one conversation whose stop sequences change from call to call.
func TestCompatOpenAIStop(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	g.fake.SetReply(stopReply)
	c := g.openAIClient(key)
	history := []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}
	var convIDs []string
	for _, tc := range []struct {
		name   string
		q      string
		stop   openai.ChatCompletionNewParamsStopUnion
		want   []string
		stream bool
	}{
		{"string", "first question", openai.ChatCompletionNewParamsStopUnion{OfString: openai.String("END")}, []string{"END"}, false},
		{"array", "second question", openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"HALT", "\n\nUser:"}}, []string{"HALT", "\n\nUser:"}, false},
		{"streamed", "third question", openai.ChatCompletionNewParamsStopUnion{OfStringArray: []string{"STREAM-END"}}, []string{"STREAM-END"}, true},
	} {
		history = append(history, openai.UserMessage(tc.q))
		params := openai.ChatCompletionNewParams{Model: "sonnet", Messages: history, Stop: tc.stop}
		var hr *http.Response
		var text, finish string
		if tc.stream {
			stream := c.Chat.Completions.NewStreaming(t.Context(), params, option.WithResponseInto(&hr))
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			text, finish = acc.Choices[0].Message.Content, acc.Choices[0].FinishReason
		} else {
			resp, err := c.Chat.Completions.New(t.Context(), params, option.WithResponseInto(&hr))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			text, finish = resp.Choices[0].Message.Content, resp.Choices[0].FinishReason
		}
		if finish != "stop" {
			t.Errorf("%s: finish_reason %q, want stop", tc.name, finish)
		}
		if got := lastStops(t, g); !slices.Equal(got, tc.want) {
			t.Errorf("%s: request stop_sequences %q, want %q", tc.name, got, tc.want)
		}
		history = append(history, openai.AssistantMessage(text))
		convIDs = append(convIDs, hr.Header.Get("X-Conversation-Id"))
	}
	checkOneSession(t, g, convIDs, []string{"first question", "second question", "third question"})

	t.Run("invalid stop", func(t *testing.T) {
		for _, tc := range []struct {
			stop  []string
			param string
		}{
			{[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9"}, "stop"},
			{[]string{"ok", ""}, "stop[1]"},
		} {
			_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "sonnet",
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")},
				Stop:     openai.ChatCompletionNewParamsStopUnion{OfStringArray: tc.stop}})
			var e *openai.Error
			if !errors.As(err, &e) || e.StatusCode != 400 || e.Param != tc.param || e.Type != "invalid_request_error" {
				t.Errorf("stop %q: %v, want a 400 on param %q", tc.stop, err, tc.param)
			}
		}
	})
}

// TestCompatAnthropicStopSequences sends stop_sequences with the Anthropic SDK and
// checks stop_reason and stop_sequence, plain and streamed.
func TestCompatAnthropicStopSequences(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	g.fake.SetReply(stopReply)
	c := g.anthropicClient(key)

	p := userParams("first question")
	p.StopSequences = []string{"END", "\n\nHuman:"}
	var hr *http.Response
	msg, err := c.Messages.New(t.Context(), p, aoption.WithResponseInto(&hr))
	if err != nil {
		t.Fatal(err)
	}
	if msg.StopReason != anthropic.StopReasonStopSequence || msg.StopSequence != "END" {
		t.Errorf("stop_reason %q stop_sequence %q", msg.StopReason, msg.StopSequence)
	}
	if got := lastStops(t, g); !slices.Equal(got, p.StopSequences) {
		t.Errorf("request stop_sequences %q", got)
	}

	// The conversation goes on, streamed and with another stop sequence.
	p = userParams("first question", msg.Content[0].Text, "second question")
	p.StopSequences = []string{"HALT"}
	var hr2 *http.Response
	stream := c.Messages.NewStreaming(t.Context(), p, aoption.WithResponseInto(&hr2))
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.StopReason != anthropic.StopReasonStopSequence || acc.StopSequence != "HALT" {
		t.Errorf("streamed stop_reason %q stop_sequence %q", acc.StopReason, acc.StopSequence)
	}
	if got := lastStops(t, g); !slices.Equal(got, []string{"HALT"}) {
		t.Errorf("request stop_sequences %q", got)
	}
	checkOneSession(t, g, []string{hr.Header.Get("X-Conversation-Id"), hr2.Header.Get("X-Conversation-Id")}, []string{"first question", "second question"})

	t.Run("invalid stop_sequences", func(t *testing.T) {
		p := userParams("x")
		p.StopSequences = []string{"  "}
		_, err := c.Messages.New(t.Context(), p)
		var e *anthropic.Error
		if !errors.As(err, &e) || e.StatusCode != 400 || e.Type() != "invalid_request_error" || !strings.Contains(e.RawJSON(), "stop_sequences[0]") {
			t.Errorf("blank stop sequence: %v", err)
		}
	})
}
