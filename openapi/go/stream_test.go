package ccgateway_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	ccgateway "github.com/ccgateway/ccgateway/openapi/go"
)

func ExampleReadEvents() {
	body := strings.NewReader("event: start\ndata: {\"conversation_id\":\"c1\",\"model\":\"claude-sonnet-5-5\"}\n\n" +
		": keep-alive\n\n" +
		"event: delta\ndata: {\"text\":\"Hi\"}\n\n" +
		"data: line one\r\ndata: line two\r\n\r\n")
	for ev, err := range ccgateway.ReadEvents(body) {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s %s\n", ev.Name, ev.Data)
	}
	// Output:
	// start {"conversation_id":"c1","model":"claude-sonnet-5-5"}
	// delta {"text":"Hi"}
	// message line one
	// line two
}

func response(status int, contentType, body string) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(strings.NewReader(body))}
}

func TestChatEvents(t *testing.T) {
	t.Run("typed events and the reply", func(t *testing.T) {
		events, err := ccgateway.ChatEvents(response(200, "text/event-stream",
			"event: start\ndata: {\"conversation_id\":\"c1\",\"model\":\"m\"}\n\nevent: queued\ndata: {\"position\":2}\n\n"+
				"event: delta\ndata: {\"text\":\"a\"}\n\nevent: future\ndata: {}\n\nevent: done\ndata: {\"content\":\"a\",\"conversation_id\":\"c1\"}\n\n"))
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for ev, err := range events {
			if err != nil {
				t.Fatal(err)
			}
			kinds = append(kinds, ev.Type)
			if ev.Type == "queued" && ev.Queued.Position != 2 {
				t.Errorf("queued %+v", ev.Queued)
			}
		}
		if strings.Join(kinds, " ") != "start queued delta future done" {
			t.Errorf("events %v", kinds)
		}
	})
	t.Run("an error event ends Text with a ProblemError", func(t *testing.T) {
		events, err := ccgateway.ChatEvents(response(200, "text/event-stream",
			"event: start\ndata: {\"conversation_id\":\"c1\",\"model\":\"m\"}\n\nevent: error\ndata: {\"status\":502,\"code\":\"upstream_error\",\"title\":\"Bad Gateway\",\"request_id\":\"req_1\"}\n\n"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = ccgateway.Text(events)
		pe, ok := err.(*ccgateway.ProblemError)
		if !ok || pe.Status != 502 || pe.Problem.Code != "upstream_error" {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a refusal before the stream is a ProblemError", func(t *testing.T) {
		_, err := ccgateway.ChatEvents(response(429, "application/problem+json", `{"status":429,"code":"rate_limited","title":"Too Many Requests"}`))
		pe, ok := err.(*ccgateway.ProblemError)
		if !ok || pe.Status != 429 || pe.Problem.Code != "rate_limited" {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a stream without done is an error", func(t *testing.T) {
		events, _ := ccgateway.ChatEvents(response(200, "text/event-stream", "event: delta\ndata: {\"text\":\"a\"}\n\n"))
		if _, err := ccgateway.Text(events); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("a bad event is an error", func(t *testing.T) {
		events, _ := ccgateway.ChatEvents(response(200, "text/event-stream", "event: delta\ndata: {not json\n\n"))
		if _, err := ccgateway.Text(events); err == nil || !strings.Contains(err.Error(), "delta") {
			t.Fatalf("err %v", err)
		}
	})
}
