package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// outcome is what one request saw.
type outcome struct {
	conv    string        // the conversation the request ran in
	latency time.Duration // request sent to reply complete
	ttft    time.Duration // request sent to first delta; 0 when none (or REST)
	code    string        // "" on success, else the problem code or a transport class
}

// chatBody is the request body of POST /api/chat and a WebSocket chat message.
type chatBody struct {
	Type           string `json:"type,omitempty"`
	ID             string `json:"id,omitempty"`
	Message        string `json:"message"`
	ConversationID string `json:"conversation_id,omitempty"`
	Model          string `json:"model,omitempty"`
	MaxTokens      int    `json:"max_tokens,omitempty"`
	Stream         bool   `json:"stream,omitempty"`
}

// problem is the part of an RFC 9457 problem the tool reads.
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
}

// client is one simulated API client: a key and, for WebSocket, one socket.
type client struct {
	cfg  *Config
	key  string
	http *http.Client
	ws   *websocket.Conn
	seq  int
}

func (c *client) close() {
	if c.ws != nil {
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
	}
}

// turn runs one chat request in conv ("" = a new conversation).
func (c *client) turn(ctx context.Context, conv string) outcome {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	body := chatBody{Message: c.cfg.Message, ConversationID: conv, Model: c.cfg.Model, MaxTokens: c.cfg.MaxTokens}
	start := time.Now()
	var o outcome
	switch c.cfg.Transport {
	case WebSocket:
		o = c.turnWS(ctx, body, start)
	case SSE:
		body.Stream = true
		o = c.turnHTTP(ctx, body, start, true)
	default:
		o = c.turnHTTP(ctx, body, start, false)
	}
	o.latency = time.Since(start)
	if o.code != "" && ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		o.code = "client_timeout"
	}
	return o
}

func (c *client) turnHTTP(ctx context.Context, body chatBody, start time.Time, stream bool) outcome {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL+"/api/chat", bytes.NewReader(b))
	if err != nil {
		return outcome{code: "bad_request"}
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{code: "transport_error"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return outcome{code: problemCode(resp.StatusCode, resp.Body)}
	}
	if !stream {
		var r struct {
			ConversationID string `json:"conversation_id"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&r); err != nil || r.ConversationID == "" {
			return outcome{code: "bad_reply"}
		}
		return outcome{conv: r.ConversationID}
	}
	return readSSE(resp.Body, start)
}

// readSSE reads a chat stream to its done or error event.
func readSSE(r io.Reader, start time.Time) outcome {
	var o outcome
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event:"):
			event = strings.TrimSpace(line[len("event:"):])
		case strings.HasPrefix(line, "data:"):
			data := []byte(strings.TrimSpace(line[len("data:"):]))
			switch event {
			case "start":
				var s struct {
					ConversationID string `json:"conversation_id"`
				}
				_ = json.Unmarshal(data, &s)
				o.conv = s.ConversationID
			case "delta":
				if o.ttft == 0 {
					o.ttft = time.Since(start)
				}
			case "done":
				return o
			case "error":
				var p problem
				_ = json.Unmarshal(data, &p)
				o.code = codeOr(p, "stream_error")
				return o
			}
		}
	}
	o.code = "stream_cut"
	return o
}

func (c *client) turnWS(ctx context.Context, body chatBody, start time.Time) outcome {
	if c.ws == nil {
		h := http.Header{}
		h.Set("Authorization", "Bearer "+c.key)
		ws, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(c.cfg.URL, "http")+"/api/ws",
			&websocket.DialOptions{HTTPHeader: h, HTTPClient: c.http})
		if err != nil {
			if resp != nil && resp.StatusCode != http.StatusSwitchingProtocols {
				return outcome{code: problemCode(resp.StatusCode, resp.Body)}
			}
			return outcome{code: "transport_error"}
		}
		ws.SetReadLimit(16 << 20)
		c.ws = ws
	}
	c.seq++
	body.Type, body.ID = "chat", strconv.Itoa(c.seq)
	b, _ := json.Marshal(body)
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.dropWS()
		return outcome{code: "transport_error"}
	}
	var o outcome
	for {
		_, data, err := c.ws.Read(ctx)
		if err != nil {
			c.dropWS()
			o.code = "transport_error"
			return o
		}
		var m struct {
			Type           string  `json:"type"`
			ID             string  `json:"id"`
			ConversationID string  `json:"conversation_id"`
			Error          problem `json:"error"`
		}
		if json.Unmarshal(data, &m) != nil || m.ID != body.ID {
			continue
		}
		switch m.Type {
		case "start":
			o.conv = m.ConversationID
		case "delta":
			if o.ttft == 0 {
				o.ttft = time.Since(start)
			}
		case "done":
			return o
		case "error":
			o.code = codeOr(m.Error, "stream_error")
			return o
		}
	}
}

// dropWS closes a socket in doubt; the next request dials a new one.
func (c *client) dropWS() {
	if c.ws != nil {
		_ = c.ws.CloseNow()
		c.ws = nil
	}
}

func problemCode(status int, body io.Reader) string {
	var p problem
	_ = json.NewDecoder(io.LimitReader(body, 1<<20)).Decode(&p)
	return codeOr(p, fmt.Sprintf("http_%d", status))
}

func codeOr(p problem, def string) string {
	if p.Code != "" {
		return p.Code
	}
	return def
}
