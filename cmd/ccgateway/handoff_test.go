package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// Two servers in turn on one socket: the second serves on the same address, and
// a client that connects between the turns is answered by the second, not refused.
func TestHandoffListenerTurns(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := newHandoffListener(raw)
	serve := func(name string) (*http.Server, chan error) {
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) })}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(h.Take()) }()
		return srv, done
	}
	get := func() (string, error) {
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		resp, err := c.Get("http://" + raw.Addr().String())
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}

	first, done := serve("first")
	if got, err := get(); err != nil || got != "first" {
		t.Fatalf("first turn: %q, %v", got, err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("first server: %v", err)
	}
	// Between the turns: the connection waits for the next server.
	answer := make(chan string, 1)
	go func() {
		got, err := get()
		if err != nil {
			got = err.Error()
		}
		answer <- got
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case got := <-answer:
		t.Fatalf("answered with no server running: %q", got)
	default:
	}
	second, done := serve("second")
	if got := <-answer; got != "second" {
		t.Fatalf("the connection made between turns: %q", got)
	}
	if err := second.Close(); err != nil {
		t.Fatal(err)
	}
	<-done

	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := get(); err == nil {
		t.Fatal("the socket still answers after Close")
	}
	if _, err := h.Take().Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
}
