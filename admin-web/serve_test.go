package adminweb

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/go-chi/chi/v5"
)

var built = fstest.MapFS{
	"index.html":             {Data: []byte(`<html><meta property="csp-nonce" nonce="` + NoncePlaceholder + `"><script nonce="` + NoncePlaceholder + `" src="/console/assets/index-abc123.js"></script></html>`)},
	"assets/index-abc123.js": {Data: []byte(strings.Repeat("console.log('ccgateway');\n", 200))},
	"favicon.svg":            {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
	"docs/index.html":        {Data: []byte(`<html><script src="init.js"></script></html>`)},
	"docs/init.js":           {Data: []byte(`SwaggerUIBundle({url: "/openapi.json"})`)},
}

func serve(t *testing.T, files fstest.MapFS, cfg Config, method, target string, hdr map[string]string) *http.Response {
	t.Helper()
	r := chi.NewRouter()
	New(files, cfg).Mount(r)
	req := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServing(t *testing.T) {
	tests := []struct {
		name, target       string
		status             int
		location, cache    string
		contentType, inner string
	}{
		{name: "root redirects to the console", target: "/", status: 302, location: "/console/"},
		{name: "console without slash", target: "/console", status: 301, location: "/console/"},
		{name: "docs without slash", target: "/docs", status: 301, location: "/docs/"},
		{name: "index", target: "/console/", status: 200, cache: "no-store", contentType: "text/html; charset=utf-8", inner: "<script nonce="},
		{name: "client route falls back to index", target: "/console/keys/key_123", status: 200, cache: "no-store", inner: "csp-nonce"},
		{name: "hashed asset is immutable", target: "/console/assets/index-abc123.js", status: 200, cache: "public, max-age=31536000, immutable", contentType: "text/javascript; charset=utf-8"},
		{name: "unhashed file is revalidated", target: "/console/favicon.svg", status: 200, cache: "no-cache", contentType: "image/svg+xml"},
		{name: "missing asset is a 404, not index", target: "/console/assets/gone-999.js", status: 404},
		{name: "missing file with an extension is a 404", target: "/console/robots.txt", status: 404},
		{name: "docs page", target: "/docs/", status: 200, cache: "no-cache", inner: "init.js"},
		{name: "docs asset", target: "/docs/init.js", status: 200, inner: "/openapi.json"},
		{name: "no escape from dist", target: "/console/../serve.go", status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := serve(t, built, Config{}, http.MethodGet, tc.target, nil)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
			if got := res.Header.Get("Location"); got != tc.location {
				t.Errorf("Location %q, want %q", got, tc.location)
			}
			if tc.cache != "" && res.Header.Get("Cache-Control") != tc.cache {
				t.Errorf("Cache-Control %q, want %q", res.Header.Get("Cache-Control"), tc.cache)
			}
			if tc.contentType != "" && res.Header.Get("Content-Type") != tc.contentType {
				t.Errorf("Content-Type %q, want %q", res.Header.Get("Content-Type"), tc.contentType)
			}
			if b := body(t, res); !strings.Contains(b, tc.inner) {
				t.Errorf("body %q lacks %q", b, tc.inner)
			}
		})
	}
}

func TestIndexCarriesAFreshNonceInItsCSP(t *testing.T) {
	nonceRe := regexp.MustCompile(`'nonce-([A-Za-z0-9+/=]+)'`)
	seen := map[string]bool{}
	for i := 0; i < 2; i++ {
		res := serve(t, built, Config{}, http.MethodGet, "/console/", nil)
		csp := res.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self';", "object-src 'none'", "frame-ancestors 'none'", "connect-src 'self';"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows unsafe code: %q", csp)
		}
		m := nonceRe.FindStringSubmatch(csp)
		if m == nil {
			t.Fatalf("no style nonce in %q", csp)
		}
		b := body(t, res)
		if strings.Contains(b, NoncePlaceholder) || strings.Count(b, `nonce="`+m[1]+`"`) != 2 {
			t.Errorf("the page does not carry the CSP's nonce everywhere: %s", b)
		}
		if seen[m[1]] {
			t.Error("the nonce repeated")
		}
		seen[m[1]] = true
		if res.Header.Get("X-Frame-Options") != "DENY" || res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("security headers missing: %v", res.Header)
		}
	}
}

func TestSSOIssuerMayBeCalled(t *testing.T) {
	res := serve(t, built, Config{OIDCIssuer: "https://login.example.com/realms/ops"}, http.MethodGet, "/console/", nil)
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self' https://login.example.com;") {
		t.Errorf("CSP %q does not let the console reach the issuer", csp)
	}
}

func TestGzipAndETag(t *testing.T) {
	res := serve(t, built, Config{}, http.MethodGet, "/console/assets/index-abc123.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if res.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("not gzipped: %v", res.Header)
	}
	zr, err := gzip.NewReader(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != string(built["assets/index-abc123.js"].Data) {
		t.Error("the gzip body is not the file")
	}
	etag := res.Header.Get("ETag")
	again := serve(t, built, Config{}, http.MethodGet, "/console/assets/index-abc123.js", map[string]string{"If-None-Match": etag})
	if again.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: status %d, want 304", again.StatusCode)
	}
	plainRes := serve(t, built, Config{}, http.MethodGet, "/console/assets/index-abc123.js", nil)
	if plainRes.Header.Get("Content-Encoding") != "" || body(t, plainRes) != string(built["assets/index-abc123.js"].Data) {
		t.Error("a client without gzip got it compressed")
	}
}

func TestNotBuilt(t *testing.T) {
	empty := fstest.MapFS{"placeholder.txt": {Data: []byte("x")}}
	for _, target := range []string{"/console/", "/docs/"} {
		res := serve(t, empty, Config{}, http.MethodGet, target, nil)
		if res.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body(t, res), "make build") {
			t.Errorf("%s: status %d, want 503 naming make build", target, res.StatusCode)
		}
	}
}

// TestEmbeddedFiles checks the real embed: the placeholder is always there, and a
// built console has an index.html with the nonce placeholder the server fills.
func TestEmbeddedFiles(t *testing.T) {
	c := New(Files(), Config{})
	if _, err := c.asset("placeholder.txt"); err != nil {
		t.Fatalf("the committed placeholder is not embedded: %v", err)
	}
	if c.index != nil && !strings.Contains(string(c.index), NoncePlaceholder) {
		t.Error("the built index.html has no CSP nonce placeholder: check vite.config.ts html.cspNonce")
	}
}
