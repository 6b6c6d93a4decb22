package auth

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestClientIP(t *testing.T) {
	trusted, err := ParseCIDRs([]string{"10.0.0.0/8", "fd00::/8"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		remote string
		xff    []string
		want   string
	}{
		{"direct client", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"untrusted peer's XFF ignored", "203.0.113.5:4000", []string{"1.2.3.4"}, "203.0.113.5"},
		{"trusted proxy", "10.0.0.2:80", []string{"198.51.100.7"}, "198.51.100.7"},
		{"rightmost untrusted hop", "10.0.0.2:80", []string{"6.6.6.6, 198.51.100.7, 10.0.0.9"}, "198.51.100.7"},
		{"several header lines", "10.0.0.2:80", []string{"6.6.6.6", "198.51.100.7, 10.1.1.1"}, "198.51.100.7"},
		{"all hops trusted", "10.0.0.2:80", []string{"10.9.9.9, 10.0.0.3"}, "10.9.9.9"},
		{"garbage stops the walk", "10.0.0.2:80", []string{"198.51.100.7, junk, 10.0.0.3"}, "10.0.0.3"},
		{"hop with port", "10.0.0.2:80", []string{"198.51.100.7:5555"}, "198.51.100.7"},
		{"trusted proxy without XFF", "10.0.0.2:80", nil, "10.0.0.2"},
		{"ipv6 peer", "[2001:db8::1]:443", nil, "2001:db8::1"},
		{"ipv6 trusted proxy", "[fd00::1]:443", []string{"2001:db8::9"}, "2001:db8::9"},
		{"mapped ipv4 peer", "[::ffff:10.0.0.2]:80", []string{"198.51.100.7"}, "198.51.100.7"},
		{"unparsable remote", "pipe", []string{"1.2.3.4"}, "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := ClientIP(r, trusted).String(); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestIsHTTPS(t *testing.T) {
	trusted, _ := ParseCIDRs([]string{"10.0.0.0/8"})
	tests := []struct {
		name   string
		remote string
		proto  string
		tls    bool
		want   bool
	}{
		{"direct TLS", "203.0.113.5:1", "", true, true},
		{"plain", "203.0.113.5:1", "", false, false},
		{"spoofed header from client", "203.0.113.5:1", "https", false, false},
		{"trusted proxy says https", "10.0.0.2:1", "https", false, true},
		{"trusted proxy says http", "10.0.0.2:1", "http", false, false},
		{"rightmost value wins", "10.0.0.2:1", "https, http", false, false},
		{"case insensitive", "10.0.0.2:1", "HTTPS", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.remote
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if got := IsHTTPS(r, trusted); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseCIDRsAndAllowedIP(t *testing.T) {
	t.Run("parses and normalises", func(t *testing.T) {
		got, err := ParseCIDRs([]string{"10.1.2.3/8", " 192.0.2.7 ", "2001:db8::/32", "::ffff:198.51.100.0/120", "::1"})
		if err != nil {
			t.Fatal(err)
		}
		want := "[10.0.0.0/8 192.0.2.7/32 2001:db8::/32 198.51.100.0/24 ::1/128]"
		if s := fmtPrefixes(got); s != want {
			t.Fatalf("got %s, want %s", s, want)
		}
	})
	for _, bad := range []string{"", "10.0.0.0/33", "example.com", "1.2.3", "fe80::1%eth0"} {
		t.Run("rejects "+bad, func(t *testing.T) {
			_, err := ParseCIDRs([]string{"10.0.0.0/8", bad})
			if err == nil || !strings.Contains(err.Error(), "entry 1") {
				t.Fatalf("err = %v, want one naming entry 1", err)
			}
		})
	}
	allow, _ := ParseCIDRs([]string{"192.0.2.0/24", "2001:db8::/32"})
	tests := []struct {
		name     string
		addr     netip.Addr
		prefixes []netip.Prefix
		want     bool
	}{
		{"empty list allows all", netip.MustParseAddr("8.8.8.8"), nil, true},
		{"inside", netip.MustParseAddr("192.0.2.200"), allow, true},
		{"outside", netip.MustParseAddr("192.0.3.1"), allow, false},
		{"mapped inside", netip.MustParseAddr("::ffff:192.0.2.1"), allow, true},
		{"ipv6 inside", netip.MustParseAddr("2001:db8:1::5"), allow, true},
		{"zero addr refused", netip.Addr{}, allow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AllowedIP(tt.addr, tt.prefixes); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func fmtPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return "[" + strings.Join(s, " ") + "]"
}
