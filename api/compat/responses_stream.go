package compat

// ResponseEvent is one server-sent event of a streamed Responses call; Type is
// both the SSE event name and the JSON "type". Only the fields of its type are set.
type ResponseEvent struct {
	Type           string         `json:"type"`
	SequenceNumber int            `json:"sequence_number"`
	Response       *Response      `json:"response,omitempty"`
	OutputIndex    *int           `json:"output_index,omitempty"`
	ContentIndex   *int           `json:"content_index,omitempty"`
	ItemID         string         `json:"item_id,omitempty"`
	Item           *OutputMessage `json:"item,omitempty"`
	Part           *OutputText    `json:"part,omitempty"`
	Delta          *string        `json:"delta,omitempty"`
	Text           *string        `json:"text,omitempty"`
	Logprobs       *[]struct{}    `json:"logprobs,omitempty"`
	// Code, Message and Param are set on "error" events.
	Code    string  `json:"code,omitempty"`
	Message string  `json:"message,omitempty"`
	Param   *string `json:"param,omitempty"`
}

// ResponseStream builds the events of one streamed response in the order the
// OpenAI SDKs expect: response.created, response.in_progress,
// response.output_item.added, response.content_part.added, any number of
// response.output_text.delta, then response.output_text.done,
// response.content_part.done, response.output_item.done and response.completed
// (or response.incomplete); a failure after the start is response.failed, and an
// error event before it.
type ResponseStream struct {
	Frame ResponseFrame
	seq   int
	text  []byte
}

func (s *ResponseStream) next(ev ResponseEvent) ResponseEvent {
	ev.SequenceNumber = s.seq
	s.seq++
	return ev
}

var zero = 0

func (s *ResponseStream) part(text string) *OutputText {
	return &OutputText{Type: "output_text", Text: text, Annotations: []struct{}{}, Logprobs: []struct{}{}}
}

// Start is the opening events, up to the empty text part.
func (s *ResponseStream) Start() []ResponseEvent {
	r := s.Frame.InProgress()
	r2 := r
	item := OutputMessage{Type: "message", ID: s.Frame.ItemID, Status: ResponseInProgress, Role: RoleAssistant, Content: []OutputText{}}
	return []ResponseEvent{
		s.next(ResponseEvent{Type: "response.created", Response: &r}),
		s.next(ResponseEvent{Type: "response.in_progress", Response: &r2}),
		s.next(ResponseEvent{Type: "response.output_item.added", OutputIndex: &zero, Item: &item}),
		s.next(ResponseEvent{Type: "response.content_part.added", ItemID: s.Frame.ItemID, OutputIndex: &zero, ContentIndex: &zero, Part: s.part("")}),
	}
}

// Delta is a piece of the reply's text.
func (s *ResponseStream) Delta(text string) ResponseEvent {
	s.text = append(s.text, text...)
	logprobs := []struct{}{}
	return s.next(ResponseEvent{Type: "response.output_text.delta", ItemID: s.Frame.ItemID, OutputIndex: &zero, ContentIndex: &zero, Delta: &text, Logprobs: &logprobs})
}

// Finish is the closing events of a finished turn.
func (s *ResponseStream) Finish(res Result) []ResponseEvent {
	final := s.Frame.Finished(res)
	text := res.Text
	item := final.Output[0]
	logprobs := []struct{}{}
	kind := "response.completed"
	if final.Status == ResponseIncomplete {
		kind = "response.incomplete"
	}
	return []ResponseEvent{
		s.next(ResponseEvent{Type: "response.output_text.done", ItemID: s.Frame.ItemID, OutputIndex: &zero, ContentIndex: &zero, Text: &text, Logprobs: &logprobs}),
		s.next(ResponseEvent{Type: "response.content_part.done", ItemID: s.Frame.ItemID, OutputIndex: &zero, ContentIndex: &zero, Part: s.part(text)}),
		s.next(ResponseEvent{Type: "response.output_item.done", OutputIndex: &zero, Item: &item}),
		s.next(ResponseEvent{Type: kind, Response: &final}),
	}
}

// Fail is the closing events of a turn that failed after the stream started: an
// error event (the SDKs raise it) and response.failed. requestID, when set, is
// appended to the message so the client can quote it.
func (s *ResponseStream) Fail(code, message, requestID string) []ResponseEvent {
	if requestID != "" {
		message += " (request id " + requestID + ")"
	}
	failed := s.Frame.Failed(code, message)
	return []ResponseEvent{
		s.next(ResponseEvent{Type: "error", Code: code, Message: message}),
		s.next(ResponseEvent{Type: "response.failed", Response: &failed}),
	}
}

// Text is the reply streamed so far.
func (s *ResponseStream) Text() string { return string(s.text) }
