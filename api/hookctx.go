package api

import (
	"bytes"
	"io"

	"github.com/danielgtaylor/huma/v2"
)

// humaContext lets the wrappers below embed a huma.Context (whose Context
// method would clash with a field named Context).
type humaContext = huma.Context

// startHook is a huma.Context that runs fn once, just before the response
// starts (its status, or its first body byte without one): the last moment a
// header can still be set, and one every handler, huma's own validation errors
// and a replayed answer all pass. Unwrap keeps humachi.Unwrap working.
type startHook struct {
	humaContext
	fn      func()
	started bool
}

func (h *startHook) Unwrap() huma.Context { return h.humaContext }

func (h *startHook) start() {
	if !h.started {
		h.started = true
		h.fn()
	}
}

func (h *startHook) SetStatus(code int) {
	h.start()
	h.humaContext.SetStatus(code)
}

func (h *startHook) BodyWriter() io.Writer { return startWriter{h} }

type startWriter struct{ h *startHook }

func (w startWriter) Write(p []byte) (int, error) {
	w.h.start()
	return w.h.humaContext.BodyWriter().Write(p)
}

// recordingContext is a huma.Context that passes the response through and keeps
// its status and up to max bytes of its body (overflow says there was more).
type recordingContext struct {
	humaContext
	status   int
	body     bytes.Buffer
	max      int
	overflow bool
}

func (c *recordingContext) Unwrap() huma.Context { return c.humaContext }

func (c *recordingContext) SetStatus(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.humaContext.SetStatus(code)
}

func (c *recordingContext) BodyWriter() io.Writer { return recordingWriter{c} }

type recordingWriter struct{ c *recordingContext }

func (w recordingWriter) Write(p []byte) (int, error) {
	c := w.c
	if c.status == 0 {
		c.status = 200
	}
	if c.body.Len()+len(p) > c.max {
		c.overflow = true
	} else {
		c.body.Write(p)
	}
	return c.humaContext.BodyWriter().Write(p)
}
