package main

import (
	"errors"
	"net"
	"sync"
)

// handoffListener lets successive servers take turns on one listening socket:
// serve restarts a node in-process (after the cluster declared it dead) without
// closing its address, so clients and load balancers see a short pause, not a
// refused connection, and an address chosen by the kernel (port 0) stays the same.
//
// One goroutine accepts on the socket and hands each connection to the current
// turn (a listener from Take); a connection that arrives between turns waits for
// the next one. Closing a turn ends only that turn; Close ends the socket.
type handoffListener struct {
	ln    net.Listener
	conns chan accepted
	once  sync.Once
}

type accepted struct {
	c   net.Conn
	err error
}

func newHandoffListener(ln net.Listener) *handoffListener {
	h := &handoffListener{ln: ln, conns: make(chan accepted)}
	go h.accept()
	return h
}

func (h *handoffListener) accept() {
	for {
		c, err := h.ln.Accept()
		h.conns <- accepted{c, err}
		if errors.Is(err, net.ErrClosed) {
			close(h.conns)
			return
		}
	}
}

// Take returns a listener for one server's turn.
func (h *handoffListener) Take() net.Listener {
	return &handoffTurn{h: h, done: make(chan struct{})}
}

// Close closes the socket; a connection accepted but not yet handed out is closed.
func (h *handoffListener) Close() error {
	var err error
	h.once.Do(func() {
		err = h.ln.Close()
		go func() {
			for a := range h.conns {
				if a.c != nil {
					_ = a.c.Close()
				}
			}
		}()
	})
	return err
}

// handoffTurn is one server's view of a handoffListener.
type handoffTurn struct {
	h    *handoffListener
	done chan struct{}
	once sync.Once
}

func (t *handoffTurn) Accept() (net.Conn, error) {
	select {
	case <-t.done: // a closed turn takes no more connections, even ready ones
		return nil, net.ErrClosed
	default:
	}
	select {
	case <-t.done:
		return nil, net.ErrClosed
	case a, ok := <-t.h.conns:
		if !ok {
			return nil, net.ErrClosed
		}
		return a.c, a.err
	}
}

// Close ends this turn; the socket stays open for the next.
func (t *handoffTurn) Close() error {
	t.once.Do(func() { close(t.done) })
	return nil
}

func (t *handoffTurn) Addr() net.Addr { return t.h.ln.Addr() }
