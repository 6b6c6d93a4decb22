// Package connlimit caps the open connections of one client address on a
// listener, so that a single client (or a careless one that never closes its
// keep-alive connections) cannot take every file descriptor of the process.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
)

// Listener wraps a net.Listener: a connection from an address that already holds
// Max open connections is closed at once, before any byte is read. Addresses
// in Exempt (a trusted reverse proxy, whose connections carry many clients) are
// not limited. IPv6 addresses count per /64.
type Listener struct {
	net.Listener
	Max    int
	Exempt []netip.Prefix

	mu   sync.Mutex
	open map[netip.Addr]int
}

// New returns ln limited to max connections per client address; max <= 0
// returns ln itself.
func New(ln net.Listener, max int, exempt []netip.Prefix) net.Listener {
	if max <= 0 {
		return ln
	}
	return &Listener{Listener: ln, Max: max, Exempt: exempt, open: map[netip.Addr]int{}}
}

// Accept returns the next connection within the limit; over-limit ones are
// closed and skipped.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key, ok := l.key(c.RemoteAddr())
		if !ok {
			return c, nil
		}
		l.mu.Lock()
		if l.open[key] >= l.Max {
			l.mu.Unlock()
			_ = c.Close()
			continue
		}
		l.open[key]++
		l.mu.Unlock()
		return &conn{Conn: c, l: l, key: key}, nil
	}
}

// key is what is counted for addr; ok is false for exempt or unparsable ones.
func (l *Listener) key(addr net.Addr) (netip.Addr, bool) {
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		return netip.Addr{}, false
	}
	ip := ap.Addr().Unmap().WithZone("")
	for _, p := range l.Exempt {
		if p.Contains(ip) {
			return netip.Addr{}, false
		}
	}
	if ip.Is6() {
		if p, err := ip.Prefix(64); err == nil {
			return p.Addr(), true
		}
	}
	return ip, true
}

func (l *Listener) release(key netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open[key]--; l.open[key] <= 0 {
		delete(l.open, key)
	}
}

// conn gives its place back once, on Close.
type conn struct {
	net.Conn
	l    *Listener
	key  netip.Addr
	once sync.Once
}

func (c *conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.key) })
	return err
}
