package compat

import (
	"reflect"
	"testing"
)

func TestParseOpenAI(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *Request
		param string // non-empty: a 400 naming this field
	}{
		{name: "minimal", body: `{"model":"sonnet","messages":[{"role":"user","content":"Hi"}]}`,
			want: &Request{Model: "sonnet", Messages: []Message{{RoleUser, "Hi"}}}},
		{name: "system, parts, history, params, unknown fields",
			body: `{"model":"m","messages":[{"role":"system","content":"Be terse."},{"role":"developer","content":"Really."},
			{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]},{"role":"assistant","content":"c"},{"role":"user","content":"d","name":"x"}],
			"max_completion_tokens":50,"temperature":1.5,"stream":true,"stream_options":{"include_usage":true},"user":"u","seed":3,"n":1,"top_p":1,"tool_choice":"none","future_field":{"x":1}}`,
			want: &Request{Model: "m", System: "Be terse.\n\nReally.", MaxTokens: 50, Temperature: ptr(1.0), Stream: true, IncludeUsage: true,
				Messages: []Message{{RoleUser, "a\nb"}, {RoleAssistant, "c"}, {RoleUser, "d"}}}},
		{name: "max_tokens", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":7}`,
			want: &Request{MaxTokens: 7, Messages: []Message{{RoleUser, "x"}}}},
		// Issue 13 items 3 and 17: no value may fall back to the CLI's default or
		// pass outside OpenAI's own range.
		{name: "max_tokens 0", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":0}`, param: "max_tokens"},
		{name: "max_tokens negative", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":-4}`, param: "max_tokens"},
		{name: "max_completion_tokens negative", body: `{"messages":[{"role":"user","content":"x"}],"max_completion_tokens":-1}`, param: "max_completion_tokens"},
		{name: "temperature above 2", body: `{"messages":[{"role":"user","content":"x"}],"temperature":2.5}`, param: "temperature"},
		{name: "temperature 2 capped", body: `{"messages":[{"role":"user","content":"x"}],"temperature":2}`,
			want: &Request{Temperature: ptr(1.0), Messages: []Message{{RoleUser, "x"}}}},
		{name: "tools", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function"}]}`, param: "tools"},
		{name: "n>1", body: `{"messages":[{"role":"user","content":"x"}],"n":2}`, param: "n"},
		{name: "logprobs", body: `{"messages":[{"role":"user","content":"x"}],"logprobs":true}`, param: "logprobs"},
		{name: "stop as a string", body: `{"messages":[{"role":"user","content":"x"}],"stop":"END"}`,
			want: &Request{StopSequences: []string{"END"}, Messages: []Message{{RoleUser, "x"}}}},
		{name: "stop as an array", body: `{"messages":[{"role":"user","content":"x"}],"stop":["END","\n\nUser:"]}`,
			want: &Request{StopSequences: []string{"END", "\n\nUser:"}, Messages: []Message{{RoleUser, "x"}}}},
		{name: "stop null or empty", body: `{"messages":[{"role":"user","content":"x"}],"stop":[]}`,
			want: &Request{Messages: []Message{{RoleUser, "x"}}}},
		{name: "stop too many", body: `{"messages":[{"role":"user","content":"x"}],"stop":["1","2","3","4","5","6","7","8","9"]}`, param: "stop"},
		{name: "stop entry empty", body: `{"messages":[{"role":"user","content":"x"}],"stop":["a",""]}`, param: "stop[1]"},
		{name: "stop whitespace only", body: `{"messages":[{"role":"user","content":"x"}],"stop":"\n"}`, param: "stop[0]"},
		{name: "stop wrong type", body: `{"messages":[{"role":"user","content":"x"}],"stop":5}`, param: "stop"},
		{name: "json mode", body: `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"}}`, param: "response_format"},
		{name: "image", body: `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"x"}}]}]}`, param: "messages[0].content[0]"},
		{name: "tool message", body: `{"messages":[{"role":"tool","content":"x"}]}`, param: "messages[0].role"},
		{name: "assistant last", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"y"}]}`, param: "messages"},
		{name: "no messages", body: `{"messages":[]}`, param: "messages"},
		{name: "too many tokens", body: `{"messages":[{"role":"user","content":"x"}],"max_tokens":200000}`, param: "max_tokens"},
		{name: "not json", body: `{`, param: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOpenAI([]byte(tt.body))
			if tt.want == nil {
				if err == nil || err.Status != 400 || err.Param != tt.param {
					t.Fatalf("got %+v, %+v; want a 400 on %q", got, err, tt.param)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParseAnthropic(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		want  *Request
		param string
	}{
		{name: "minimal", body: `{"model":"sonnet","max_tokens":100,"messages":[{"role":"user","content":"Hi"}]}`,
			want: &Request{Model: "sonnet", MaxTokens: 100, Messages: []Message{{RoleUser, "Hi"}}}},
		{name: "system blocks, history, unknown fields",
			body: `{"model":"m","max_tokens":10,"system":[{"type":"text","text":"S","cache_control":{"type":"ephemeral"}}],"temperature":0.5,"stream":true,"metadata":{"user_id":"u"},
			"messages":[{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"assistant","content":"b"},{"role":"user","content":"c"}],"thinking":{"type":"disabled"},"x":1}`,
			want: &Request{Model: "m", System: "S", MaxTokens: 10, Temperature: ptr(0.5), Stream: true,
				Messages: []Message{{RoleUser, "a"}, {RoleAssistant, "b"}, {RoleUser, "c"}}}},
		{name: "tools", body: `{"messages":[{"role":"user","content":"x"}],"tools":[{"name":"t"}]}`, param: "tools"},
		{name: "stop sequences", body: `{"messages":[{"role":"user","content":"x"}],"stop_sequences":["X","\n\nHuman:"]}`,
			want: &Request{StopSequences: []string{"X", "\n\nHuman:"}, Messages: []Message{{RoleUser, "x"}}}},
		{name: "stop sequences too many", body: `{"messages":[{"role":"user","content":"x"}],"stop_sequences":["1","2","3","4","5","6","7","8","9"]}`, param: "stop_sequences"},
		{name: "stop sequence blank", body: `{"messages":[{"role":"user","content":"x"}],"stop_sequences":["  "]}`, param: "stop_sequences[0]"},
		{name: "top_k", body: `{"messages":[{"role":"user","content":"x"}],"top_k":5}`, param: "top_k"},
		{name: "thinking", body: `{"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":1024}}`, param: "thinking"},
		{name: "image", body: `{"messages":[{"role":"user","content":[{"type":"image","source":{}}]}]}`, param: "messages[0].content[0]"},
		{name: "tool result", body: `{"messages":[{"role":"user","content":[{"type":"tool_result"}]}]}`, param: "messages[0].content[0]"},
		{name: "prefill", body: `{"messages":[{"role":"user","content":"x"},{"role":"assistant","content":"{"}]}`, param: "messages"},
		{name: "temperature", body: `{"messages":[{"role":"user","content":"x"}],"temperature":1.5}`, param: "temperature"},
		{name: "bad role", body: `{"messages":[{"role":"system","content":"x"}]}`, param: "messages[0].role"},
		{name: "max_tokens 0", body: `{"max_tokens":0,"messages":[{"role":"user","content":"x"}]}`, param: "max_tokens"},
		{name: "max_tokens negative", body: `{"max_tokens":-1,"messages":[{"role":"user","content":"x"}]}`, param: "max_tokens"},
		{name: "max_tokens omitted", body: `{"messages":[{"role":"user","content":"x"}]}`, want: &Request{Messages: []Message{{RoleUser, "x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnthropic([]byte(tt.body))
			if tt.want == nil {
				if err == nil || err.Status != 400 || err.Param != tt.param {
					t.Fatalf("got %+v, %+v; want a 400 on %q", got, err, tt.param)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
