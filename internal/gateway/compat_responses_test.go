package gateway

import (
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	"github.com/ccgateway/ccgateway/internal/store"
)

func responseInput(s string) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfString: openai.String(s)}
}

// TestResponsesThreeTurnsThroughPreviousResponseID drives POST /v1/responses with
// the official OpenAI Go SDK: a first response with instructions, a streamed
// second and a third that continue it through previous_response_id; the model
// sees the whole history on the last turn, and the responses can be read back
// and deleted.
func TestResponsesThreeTurnsThroughPreviousResponseID(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	ctx := t.Context()

	first, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "sonnet", Input: responseInput("my name is Ada"),
		Instructions: openai.String("Be brief."), MaxOutputTokens: openai.Int(256)})
	if err != nil {
		t.Fatal(err)
	}
	if first.OutputText() != "echo: my name is Ada" || first.Status != "completed" || !strings.HasPrefix(first.ID, "resp_") || first.Usage.OutputTokens == 0 {
		t.Fatalf("first: %q %s %s %+v", first.OutputText(), first.Status, first.ID, first.Usage)
	}

	stream := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: "sonnet", Input: responseInput("what is my name?"),
		PreviousResponseID: openai.String(first.ID)})
	var types []string
	var deltas strings.Builder
	var second responses.Response
	for stream.Next() {
		ev := stream.Current()
		types = append(types, ev.Type)
		switch ev.Type {
		case "response.output_text.delta":
			deltas.WriteString(ev.Delta)
		case "response.completed":
			second = ev.Response
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if types[0] != "response.created" || types[len(types)-1] != "response.completed" || deltas.String() != "echo: what is my name?" {
		t.Fatalf("stream: %v %q", types, deltas.String())
	}
	if second.PreviousResponseID != first.ID || second.OutputText() != deltas.String() {
		t.Fatalf("second: previous %q text %q", second.PreviousResponseID, second.OutputText())
	}

	third, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "sonnet", Input: responseInput("and again?"),
		PreviousResponseID: openai.String(second.ID)})
	if err != nil {
		t.Fatal(err)
	}
	last := g.fake.Requests()[len(g.fake.Requests())-1]
	var history []string
	for _, m := range last.Messages {
		history = append(history, m.Role+":"+m.Text)
	}
	for _, want := range []string{"my name is Ada", "echo: my name is Ada", "what is my name?", "echo: what is my name?", "and again?"} {
		if !strings.Contains(strings.Join(history, "\n"), want) {
			t.Errorf("the third turn's request to the model lacks %q: %q", want, history)
		}
	}
	if !strings.Contains(last.System, "Be brief.") {
		t.Errorf("the instructions were lost by the third turn: system %q", last.System)
	}

	got, err := c.Responses.Get(ctx, third.ID, responses.ResponseGetParams{})
	if err != nil || got.OutputText() != "echo: and again?" || got.PreviousResponseID != second.ID {
		t.Fatalf("get: %v %+v", err, got)
	}
	// Continuing from an earlier response would branch the conversation.
	_, err = c.Responses.New(ctx, responses.ResponseNewParams{Model: "sonnet", Input: responseInput("branch"), PreviousResponseID: openai.String(first.ID)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "previous_response_not_latest" {
		t.Fatalf("branching: %v", err)
	}
	if err := c.Responses.Delete(ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Responses.Get(ctx, third.ID, responses.ResponseGetParams{})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("get after delete: %v", err)
	}
}

// TestResponsesRefusals checks that unsupported features get OpenAI's error shape
// naming the field.
func TestResponsesRefusals(t *testing.T) {
	t.Parallel()
	g := newGateway(t)
	key, _ := g.newKey(store.KeyActive)
	c := g.openAIClient(key)
	for name, params := range map[string]responses.ResponseNewParams{
		"tools":                {Model: "sonnet", Input: responseInput("x"), Tools: []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: "web_search"}}}},
		"previous_response_id": {Model: "sonnet", Input: responseInput("x"), PreviousResponseID: openai.String("resp_nope")},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.Responses.New(t.Context(), params)
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.Param != name || apiErr.Message == "" {
				t.Fatalf("%v", err)
			}
		})
	}
}
