package testkit

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

const conformanceSpec = `
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /thing:
    get:
      operationId: get-thing
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [a], properties: {a: {type: string}}}
            text/event-stream:
              schema:
                type: array
                items:
                  type: object
                  required: [event, data]
                  properties:
                    event: {type: string, enum: [delta]}
                    data: {type: object, required: [text], properties: {text: {type: string}}}
        "404":
          description: missing
          content:
            application/problem+json:
              schema: {type: object, required: [code], properties: {code: {type: string}}}
`

func TestConformance(t *testing.T) {
	for _, tc := range []struct {
		name string
		ct   string
		code int
		body string
		want string // "" = no finding
	}{
		{"valid json", "application/json", 200, `{"a":"x"}`, ""},
		{"valid stream", "text/event-stream", 200, "event: delta\ndata: {\"text\":\"hi\"}\n\n: keep-alive\n\n", ""},
		{"valid problem", "application/problem+json", 404, `{"code":"not_found"}`, ""},
		{"undeclared status", "application/problem+json", 429, `{"code":"x"}`, "conformance get-thing 429 status not declared"},
		{"undeclared content type", "application/json", 404, `{"code":"x"}`, `conformance get-thing 404 content type "application/json" not declared`},
		{"schema: missing field", "application/json", 200, `{"b":1}`, "conformance get-thing 200 application/json body at /a: property \"a\" is missing"},
		{"schema: wrong type", "application/json", 200, `{"a":1}`, "conformance get-thing 200 application/json body at /a: value must be a string"},
		{"stream: unknown event", "text/event-stream", 200, "event: oops\ndata: {\"text\":\"hi\"}\n\n", "conformance get-thing 200 text/event-stream body at /0/event: value is not one of the allowed values [\"delta\"]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewConformance([]byte(conformanceSpec))
			if err != nil {
				t.Fatal(err)
			}
			h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ct)
				w.WriteHeader(tc.code)
				_, _ = w.Write([]byte(tc.body))
			}))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/thing", nil))
			if rec.Code != tc.code || rec.Body.String() != tc.body {
				t.Fatalf("the response changed on its way: %d %q", rec.Code, rec.Body.String())
			}
			got := c.Findings()
			switch {
			case tc.want == "" && len(got) != 0:
				t.Errorf("findings %q, want none", got)
			case tc.want != "" && !slices.Equal(got, []string{tc.want}):
				t.Errorf("findings %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("paths outside the spec pass unchecked", func(t *testing.T) {
		c, err := NewConformance([]byte(conformanceSpec))
		if err != nil {
			t.Fatal(err)
		}
		h := c.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/ws", nil))
		if got := c.Findings(); len(got) != 0 {
			t.Errorf("findings %q", got)
		}
	})
}
