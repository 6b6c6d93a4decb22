package connlimit

import (
	"io"
	"net"
	"net/netip"
	"testing"
	"time"
)

// TestPerAddressCap replays issue 13 item 2's fd exhaustion in small: one client
// address opens more connections than its share; the extra ones are closed at
// once, an exempt address (a trusted proxy) is not limited, and a closed
// connection gives its place back.
func TestPerAddressCap(t *testing.T) {
	for _, tc := range []struct {
		name   string
		exempt []netip.Prefix
		wantOK int
	}{
		{"capped", nil, 2},
		{"exempt proxy", []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ln := New(raw, 2, tc.exempt)
			defer ln.Close()
			accepted := make(chan net.Conn, 8)
			go func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					accepted <- c
				}
			}()
			var clients []net.Conn
			for range 4 {
				c, err := net.Dial("tcp", raw.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				clients = append(clients, c)
			}
			ok := 0
			for _, c := range clients {
				_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				if _, err := c.Read(make([]byte, 1)); err == io.EOF {
					continue // closed by the limiter
				}
				ok++ // still open: the read timed out
			}
			if ok != tc.wantOK {
				t.Fatalf("%d of 4 connections stayed open, want %d", ok, tc.wantOK)
			}
			if tc.exempt != nil {
				return
			}
			(<-accepted).Close() // the server ends one: its place is free again
			c, err := net.Dial("tcp", raw.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if _, err := c.Read(make([]byte, 1)); err == io.EOF {
				t.Fatal("a freed place was not given back")
			}
		})
	}
}
