package testkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// Conformance checks every response a handler sends against an OpenAPI 3.0
// document: that the status is declared for the operation, that the content type
// is one the status declares, and that the body matches its schema (event streams
// are decoded into the spec's list of {event, data} objects). Requests to paths the
// spec does not describe (WebSocket, metrics) are passed through unchecked.
type Conformance struct {
	router routers.Router
	mu     sync.Mutex
	seen   map[string]bool
	found  []string
}

// maxChecked caps how much of one response body is kept for validation.
const maxChecked = 4 << 20

var registerSSE sync.Once

// NewConformance loads an OpenAPI 3.0 document (YAML or JSON).
func NewConformance(spec []byte) (*Conformance, error) {
	doc, err := openapi3.NewLoader().LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("testkit: conformance: %w", err)
	}
	doc.Servers = nil // match paths on any host
	// A description next to a $ref is ignored by 3.0 readers (and allowed in 3.1):
	// harmless, so it does not stop the check.
	r, err := legacy.NewRouter(doc, openapi3.AllowExtraSiblingFields("description"))
	if err != nil {
		return nil, fmt.Errorf("testkit: conformance: %w", err)
	}
	registerSSE.Do(func() { openapi3filter.RegisterBodyDecoder("text/event-stream", decodeSSE) })
	return &Conformance{router: r, seen: map[string]bool{}}, nil
}

// Findings returns the distinct violations seen so far, one line each:
// "conformance <operationId> <status> <what>".
func (c *Conformance) Findings() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.found)
	slices.Sort(out)
	return out
}

func (c *Conformance) add(f string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.seen[f] {
		c.seen[f] = true
		c.found = append(c.found, f)
	}
}

// Wrap returns h with every response checked.
func (c *Conformance) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route, params, err := c.router.FindRoute(r)
		if err != nil {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w}
		h.ServeHTTP(rec, r)
		if rec.hijacked {
			return
		}
		c.check(r, route, params, rec)
	})
}

func (c *Conformance) check(r *http.Request, route *routers.Route, params map[string]string, rec *recorder) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if status == 499 {
		return // the client closed the request: no one reads this answer
	}
	if status == http.StatusPermanentRedirect && strings.HasPrefix(rec.Header().Get("Location"), "https://") {
		return // force-https=redirect: answered before any operation ran (the spec's description says so)
	}
	op := route.Operation.OperationID
	prefix := fmt.Sprintf("conformance %s %d ", op, status)
	resp := route.Operation.Responses.Status(status)
	if resp == nil {
		resp = route.Operation.Responses.Default()
	}
	if resp == nil || resp.Value == nil {
		c.add(prefix + "status not declared")
		return
	}
	ct := rec.Header().Get("Content-Type")
	mt, _, _ := mime.ParseMediaType(ct)
	if len(resp.Value.Content) == 0 {
		if rec.body.Len() > 0 {
			c.add(prefix + "body sent where none is declared (" + mt + ")")
		}
		return
	}
	if rec.body.Len() == 0 && status != http.StatusOK {
		c.add(prefix + "no body where one is declared")
		return
	}
	if resp.Value.Content.Get(mt) == nil || (mt == "" && rec.body.Len() > 0) {
		c.add(prefix + "content type " + strconv.Quote(mt) + " not declared")
		return
	}
	if rec.truncated {
		return
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(rec.body.Bytes())),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: false},
	}
	in.Options.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string {
		return "at " + strings.Join(err.JSONPointer(), "/") + ": " + err.Reason
	})
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		c.add(prefix + mt + " " + schemaReason(err))
	}
}

// schemaReason is the stable part of a validation error: where and why, without
// the offending value.
func schemaReason(err error) string {
	var re *openapi3filter.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		err = re.Err
	}
	var se *openapi3.SchemaError
	if errors.As(err, &se) {
		return "body at /" + strings.Join(se.JSONPointer(), "/") + ": " + se.Reason
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i > 0 {
		s = s[:i]
	}
	return s
}

// decodeSSE turns an event stream into what huma's SSE schema describes: an array
// of {"event": name, "data": value}, data parsed as JSON where it is JSON.
func decodeSSE(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	var events []any
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64*1024), maxChecked)
	name, data := "", []string(nil)
	flush := func() {
		if data != nil {
			raw := strings.Join(data, "\n")
			var v any
			if json.Unmarshal([]byte(raw), &v) != nil {
				v = raw
			}
			ev := map[string]any{"data": v}
			if name != "" {
				ev["event"] = name
			}
			events = append(events, ev)
		}
		name, data = "", nil
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, ":"):
		default:
			field, value, _ := strings.Cut(line, ":")
			value = strings.TrimPrefix(value, " ")
			switch field {
			case "event":
				name = value
			case "data":
				data = append(data, value)
			}
		}
	}
	flush()
	return events, sc.Err()
}

// recorder passes a response through and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status    int
	body      bytes.Buffer
	truncated bool
	hijacked  bool
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 { // 1xx (100 Continue) are informational
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(p) <= maxChecked {
		r.body.Write(p)
	} else {
		r.truncated = true
	}
	return r.ResponseWriter.Write(p)
}

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("testkit: the response writer cannot be hijacked")
	}
	r.hijacked = true
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// KnownFindingsFile is the list, relative to the module root, of findings the spec
// is known to still have (lint, ogen and conformance lines): tests fail on any other.
const KnownFindingsFile = "openapi/lint/known-findings.txt"

// KnownFindings returns the lines of KnownFindingsFile that start with prefix.
func KnownFindings(prefix string) ([]string, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(root, KnownFindingsFile))
	if err != nil {
		return nil, err
	}
	var known []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, prefix) {
			known = append(known, line)
		}
	}
	return known, nil
}

// NewFindings returns the conformance findings not in KnownFindingsFile.
func (c *Conformance) NewFindings() ([]string, error) {
	known, err := KnownFindings("conformance ")
	if err != nil {
		return nil, err
	}
	var fresh []string
	for _, f := range c.Findings() {
		if !slices.Contains(known, f) {
			fresh = append(fresh, f)
		}
	}
	return fresh, nil
}

// SpecConformance loads the committed 3.0 spec of this module.
func SpecConformance() (*Conformance, error) {
	root, err := ModuleRoot()
	if err != nil {
		return nil, err
	}
	spec, err := os.ReadFile(filepath.Join(root, "openapi", "openapi-3.0.yaml"))
	if err != nil {
		return nil, err
	}
	return NewConformance(spec)
}
