package tenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/ccgateway/ccgateway/actors"
	"github.com/ccgateway/ccgateway/api"
	"github.com/ccgateway/ccgateway/internal/auth"
	"github.com/ccgateway/ccgateway/internal/store"
)

// wsPath is the WebSocket endpoint; docs/websocket.md describes its protocol.
const WSPath = "/api/ws"

// wsAuthWait bounds the wait for a browser's first `auth` message.
const wsAuthWait = 10 * time.Second

// wsIn is a client message: auth, chat, cancel or ping.
type wsIn struct {
	Type   string `json:"type"`
	ID     string `json:"id,omitempty"`
	APIKey string `json:"api_key,omitempty"`
	api.ChatRequest
}

// wsOut is a server message, tagged with the client's request id.
type WSOut struct {
	Type           string            `json:"type"`
	ID             string            `json:"id,omitempty"`
	ConversationID string            `json:"conversation_id,omitempty"`
	Model          string            `json:"model,omitempty"`
	Position       int               `json:"position,omitempty"`
	Text           string            `json:"text,omitempty"`
	Result         *api.ChatResponse `json:"result,omitempty"`
	Error          *api.Problem      `json:"error,omitempty"`
}

// wsSession is one socket: several chat requests multiplexed, one writer at a time.
type wsSession struct {
	s   *server
	c   *websocket.Conn
	key *store.APIKey

	hash string // of the presented secret: each chat checks the key again

	requestID string // the upgrade's; each chat's is derived from it
	seq       int

	wmu  sync.Mutex
	mu   sync.Mutex
	reqs map[string]context.CancelFunc
	wg   sync.WaitGroup
}

// wsMaxInflight caps the chats running at once on one socket.
const wsMaxInflight = 16

// serveWS upgrades the connection and runs the session until the client leaves.
func (s *server) serveWS(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	op := &huma.Operation{Method: http.MethodGet, Path: WSPath}
	if !s.WebSocketOriginAllowed(r) { // the CORS matcher, before any other work
		api.WriteProblemHTTP(w, r, api.NewProblem(http.StatusForbidden, api.CodeForbidden, "origin "+r.Header.Get("Origin")+" is not allowed (cors-origins)"))
		return
	}
	var key *store.APIKey
	var hash string
	if r.Header.Get("Authorization") != "" || r.Header.Get("x-api-key") != "" {
		hctx := humachi.NewContext(op, r, w)
		k, p := s.KeyAccess(hctx, s.ClientIP(r))
		if p != nil {
			api.WriteProblemHTTP(w, r, p)
			// A refused upgrade is a request too: it leaves its usage event, as
			// a refused REST request does.
			if p.Code != api.CodeTooManyAuthFailures {
				s.RecordRequest(hctx, k, start, p.Status, p.Code)
			}
			return
		}
		key, hash = k, auth.HashKey(api.PresentedKey(hctx))
	}
	// The origin was checked above with the CORS matcher; the library's own
	// check (host globs) would disagree with it.
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(int64(s.Config.MaxMessageBytes) + 64<<10)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	ws := &wsSession{s: s, c: c, key: key, hash: hash, reqs: map[string]context.CancelFunc{}, requestID: api.RequestIDFrom(r.Context())}
	if ws.key == nil {
		if ws.key = ws.authenticate(ctx, r, w, op, start); ws.key == nil {
			return
		}
	}
	api.CallerFrom(r.Context()).KeyID = ws.key.ID
	ctx = api.WithEndpoint(ctx, WSPath, "WS")
	go ws.ping(ctx)
	ws.loop(ctx)
	cancel()
	ws.wg.Wait()
	c.Close(websocket.StatusNormalClosure, "")
}

// authenticate reads the first message, which must be {"type":"auth","api_key":...}.
// A socket refused here leaves one usage event, as a refused upgrade does.
func (ws *wsSession) authenticate(ctx context.Context, r *http.Request, w http.ResponseWriter, op *huma.Operation, start time.Time) *store.APIKey {
	actx, cancel := context.WithTimeout(ctx, wsAuthWait)
	defer cancel()
	var m wsIn
	if err := wsjson.Read(actx, ws.c, &m); err != nil || m.Type != "auth" || m.APIKey == "" {
		ws.s.RecordRequest(humachi.NewContext(op, r, w), nil, start, http.StatusUnauthorized, api.CodeUnauthorized)
		ws.c.Close(websocket.StatusPolicyViolation, "authenticate first: send Authorization or x-api-key, or a first {\"type\":\"auth\",\"api_key\":...} message")
		return nil
	}
	ar := r.Clone(ctx)
	ar.Header.Set("x-api-key", m.APIKey)
	hctx := humachi.NewContext(op, ar, w)
	k, p := ws.s.KeyAccess(hctx, ws.s.ClientIP(r))
	if p != nil {
		if p.Code != api.CodeTooManyAuthFailures {
			ws.s.RecordRequest(hctx, k, start, p.Status, p.Code)
		}
		_ = ws.send(ctx, WSOut{Type: "error", Error: p})
		ws.c.Close(websocket.StatusPolicyViolation, p.Code)
		return nil
	}
	ws.hash = auth.HashKey(m.APIKey)
	_ = ws.send(ctx, WSOut{Type: "authenticated"})
	return k
}

// revoke ends the socket after its key was refused: running chats are canceled.
func (ws *wsSession) revoke(p *api.Problem) {
	ws.mu.Lock()
	for _, cancel := range ws.reqs {
		cancel()
	}
	ws.mu.Unlock()
	ws.c.Close(websocket.StatusPolicyViolation, p.Code)
}

func (ws *wsSession) loop(ctx context.Context) {
	for {
		var m wsIn
		if err := wsjson.Read(ctx, ws.c, &m); err != nil {
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				_ = ws.send(ctx, WSOut{Type: "error", Error: api.NewProblem(http.StatusBadRequest, api.CodeInvalidRequest, "messages are JSON objects")})
				continue
			}
			return
		}
		switch m.Type {
		case "chat":
			ws.chat(ctx, m)
		case "cancel":
			ws.mu.Lock()
			if cancel := ws.reqs[m.ID]; cancel != nil {
				cancel()
			}
			ws.mu.Unlock()
		case "ping":
			_ = ws.send(ctx, WSOut{Type: "pong", ID: m.ID})
		default:
			_ = ws.send(ctx, WSOut{Type: "error", ID: m.ID, Error: api.NewProblem(http.StatusBadRequest, api.CodeInvalidRequest, "unknown message type "+m.Type)})
		}
	}
}

// chat registers one request under its id (so that a cancel finds it at once)
// and runs it in its own goroutine: admission and the turn never block the
// socket's read loop, which keeps serving cancel and ping.
func (ws *wsSession) chat(ctx context.Context, m wsIn) {
	fail := func(p *api.Problem) {
		t := ws.s.BeginTurn(api.WithKey(ctx, ws.key), m.ConversationID)
		t.Refuse(p.Status, p)
		_ = ws.send(ctx, WSOut{Type: "error", ID: m.ID, Error: p})
	}
	ws.mu.Lock()
	_, dup := ws.reqs[m.ID]
	busy := len(ws.reqs) >= wsMaxInflight
	ws.seq++
	ctx = api.WithRequestID(ctx, fmt.Sprintf("%s.%d", ws.requestID, ws.seq))
	var rctx context.Context
	var cancel context.CancelFunc
	if m.ID != "" && !dup && !busy {
		rctx, cancel = context.WithCancel(ctx)
		ws.reqs[m.ID] = cancel
	}
	ws.mu.Unlock()
	if m.ID == "" || dup {
		fail(api.NewProblem(http.StatusBadRequest, api.CodeInvalidRequest, "a chat needs an id not already in use on this socket"))
		return
	}
	if busy {
		fail(api.NewProblem(http.StatusTooManyRequests, api.CodeSocketBusy, fmt.Sprintf("at most %d chats may run at once on one socket", wsMaxInflight)))
		return
	}
	ws.wg.Add(1)
	go func() {
		defer ws.wg.Done()
		defer func() {
			ws.mu.Lock()
			delete(ws.reqs, m.ID)
			ws.mu.Unlock()
			cancel()
		}()
		ws.run(ctx, rctx, m)
	}()
}

// run takes one chat through the turn pipeline and relays the events tagged
// with its id. ctx is the request's, canceled by the client's cancel or the
// socket's end; messages are written under the socket's sctx, so a canceled
// chat still gets its final event.
func (ws *wsSession) run(sctx, ctx context.Context, m wsIn) {
	// The record starts before any check, so that a chat refused for any reason
	// leaves its usage event; the socket's key names it until checked again.
	t := ws.s.BeginTurn(api.WithKey(ctx, ws.key), m.ConversationID)
	if ws.s.Config.KnownModel(m.Model) {
		t.SetModel(ws.s.Config.ResolveModel(m.Model))
	}
	fail := func(p *api.Problem) {
		t.Refuse(p.Status, p)
		_ = ws.send(sctx, WSOut{Type: "error", ID: m.ID, Error: p})
	}
	// The key may have been suspended, expired, rotated or deleted since the
	// socket opened: check it again, and end the socket if it is refused.
	k, p := ws.s.KeyByHash(ctx, ws.hash)
	if p != nil {
		fail(p)
		ws.revoke(p)
		return
	}
	ctx = api.WithKey(ctx, k)
	body := m.ChatRequest
	body.Stream = true // a socket always streams
	_, events, p := ws.s.StartTurn(ctx, t, &body, nil)
	if p != nil {
		fail(p)
		return
	}
	defer t.Release()
	for ev := range events {
		if out, ok := wsEvent(m.ID, ev); ok && ws.send(sctx, out) != nil {
			return // the socket is gone: Release lets the pipeline settle the turn
		}
	}
}

func wsEvent(id string, ev actors.Event) (WSOut, bool) {
	switch ev := ev.(type) {
	case actors.Started:
		return WSOut{Type: "start", ID: id, ConversationID: ev.ConversationID, Model: ev.Model}, true
	case actors.Queued:
		return WSOut{Type: "queued", ID: id, Position: ev.Position}, true
	case actors.Delta:
		return WSOut{Type: "delta", ID: id, Text: ev.Text}, true
	case actors.Done:
		r := api.NewChatResponse(ev.Result)
		return WSOut{Type: "done", ID: id, Result: &r}, true
	case actors.Failed:
		return WSOut{Type: "error", ID: id, Error: api.ToProblem(ev.Err)}, true
	}
	return WSOut{}, false
}

// send writes one message; writes are serialized across the socket's requests.
// Each write has stream-write-timeout to reach the client: a client that stops
// reading fails it, and the socket is closed (its chats end as if it had left).
func (ws *wsSession) send(ctx context.Context, m WSOut) error {
	ws.wmu.Lock()
	defer ws.wmu.Unlock()
	wctx, cancel := ctx, context.CancelFunc(func() {})
	if d := ws.s.Config.StreamWriteTimeout; d > 0 {
		wctx, cancel = context.WithTimeout(ctx, d)
	}
	defer cancel()
	err := wsjson.Write(wctx, ws.c, m)
	if err != nil {
		ws.c.CloseNow()
	}
	return err
}

// ping keeps the connection alive through proxies and detects dead peers.
func (ws *wsSession) ping(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			err := ws.c.Ping(pctx)
			cancel()
			if err != nil {
				ws.c.CloseNow()
				return
			}
		}
	}
}
