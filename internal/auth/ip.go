package auth

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address of the client that sent r. X-Forwarded-For is
// believed only when the direct peer (RemoteAddr) is a trusted proxy; then the
// header is walked from the right, skipping trusted proxies, and the first
// untrusted hop is the client. Hops left of it were written by the client and are
// ignored, so a client cannot spoof its address by sending the header itself. If
// every hop is trusted the leftmost is returned. A malformed hop stops the walk at
// the last good address. The result is the zero Addr when RemoteAddr cannot be
// parsed; AllowedIP refuses it whenever an allowlist is set.
func ClientIP(r *http.Request, trustedProxies []netip.Prefix) netip.Addr {
	peer := parseHost(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trustedProxies) {
		return peer
	}
	client := peer
	values := r.Header.Values("X-Forwarded-For")
	for i := len(values) - 1; i >= 0; i-- {
		hops := strings.Split(values[i], ",")
		for j := len(hops) - 1; j >= 0; j-- {
			hop := parseHost(strings.TrimSpace(hops[j]))
			if !hop.IsValid() {
				return client
			}
			client = hop
			if !inPrefixes(hop, trustedProxies) {
				return hop
			}
		}
	}
	return client
}

// IsHTTPS reports whether the client reached us over TLS: directly, or through a
// trusted proxy that says so in X-Forwarded-Proto. Only the rightmost value is
// read, the one the trusted proxy itself wrote.
func IsHTTPS(r *http.Request, trustedProxies []netip.Prefix) bool {
	if r.TLS != nil {
		return true
	}
	peer := parseHost(r.RemoteAddr)
	if !peer.IsValid() || !inPrefixes(peer, trustedProxies) {
		return false
	}
	values := r.Header.Values("X-Forwarded-Proto")
	if len(values) == 0 {
		return false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// ParseCIDRs parses CIDRs and bare IPs ("10.0.0.0/8", "192.0.2.7", "2001:db8::/32")
// into prefixes; a bare IP becomes a single-address prefix, and host bits are
// masked off. The error names the first bad entry.
func ParseCIDRs(entries []string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for i, e := range entries {
		s := strings.TrimSpace(e)
		if strings.Contains(s, "/") {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				return nil, fmt.Errorf("auth: entry %d %q is not an IP or CIDR", i, e)
			}
			if p.Addr().Is4In6() {
				p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
				if !p.IsValid() {
					return nil, fmt.Errorf("auth: entry %d %q is not an IP or CIDR", i, e)
				}
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return nil, fmt.Errorf("auth: entry %d %q is not an IP or CIDR", i, e)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// AllowedIP reports whether addr is inside one of prefixes; an empty list allows
// every address (but the zero Addr is refused whenever a list is set).
func AllowedIP(addr netip.Addr, prefixes []netip.Prefix) bool {
	if len(prefixes) == 0 {
		return true
	}
	return inPrefixes(addr, prefixes)
}

func inPrefixes(addr netip.Addr, prefixes []netip.Prefix) bool {
	if !addr.IsValid() {
		return false
	}
	addr = addr.Unmap()
	for _, p := range prefixes {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// parseHost parses "ip", "ip:port" or "[ip]:port", dropping any zone and
// unmapping IPv4-in-IPv6; it returns the zero Addr on failure.
func parseHost(s string) netip.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().WithZone("").Unmap()
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap()
	}
	return netip.Addr{}
}
