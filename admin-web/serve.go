package adminweb

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"

	"github.com/go-chi/chi/v5"
)

// NoncePlaceholder is what the Vite build writes where the per-response CSP
// nonce goes (vite.config.ts html.cspNonce); the server replaces every copy.
const NoncePlaceholder = "__CCG_CSP_NONCE__"

// Config is how the console is served.
type Config struct {
	// OIDCIssuer, when SSO is configured, is the provider the console may call
	// besides the gateway itself (discovery and token endpoints on its origin).
	OIDCIssuer string
}

// Console serves the embedded console and API reference.
type Console struct {
	files fs.FS
	cfg   Config
	index []byte // nil when the console was not built

	mu    sync.Mutex
	cache map[string]*asset
}

// asset is one file ready to serve: its bytes, a gzip copy when that is smaller,
// and a strong ETag.
type asset struct {
	body, gz []byte
	etag     string
	ctype    string
}

// New prepares the console from files (Files() in the binary; any fs.FS in tests).
func New(files fs.FS, cfg Config) *Console {
	c := &Console{files: files, cfg: cfg, cache: map[string]*asset{}}
	if b, err := fs.ReadFile(files, "index.html"); err == nil {
		c.index = b
	}
	return c
}

// Mount adds the routes: GET / redirects to the console, /console/ serves it (any
// path that is not a file gets index.html, for client-side routes), /docs serves
// the API reference for /openapi.json.
func (c *Console) Mount(r chi.Router) {
	r.Get("/", func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, "/console/", http.StatusFound)
	})
	r.Get("/console", redirectSlash)
	r.Get("/console/*", c.serveConsole)
	r.Get("/docs", redirectSlash)
	r.Get("/docs/*", c.serveDocs)
}

func redirectSlash(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusMovedPermanently)
}

// serveConsole serves a built file, or index.html for client-side routes.
func (c *Console) serveConsole(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(path.Clean(r.URL.Path), "/console")
	rel = strings.TrimPrefix(rel, "/")
	securityHeaders(w)
	if c.index == nil {
		http.Error(w, "The admin console is not built into this binary: run `make build`.", http.StatusServiceUnavailable)
		return
	}
	if rel != "" && rel != "index.html" && !strings.HasPrefix(rel, "docs/") {
		a, err := c.asset(rel)
		if err == nil {
			w.Header().Set("Content-Security-Policy", c.consoleCSP(""))
			if strings.HasPrefix(rel, "assets/") {
				// Vite names these by content hash: a new build has new names.
				w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				w.Header().Set("Cache-Control", "no-cache")
			}
			a.serve(w, r)
			return
		}
		if strings.HasPrefix(rel, "assets/") || path.Ext(rel) != "" {
			http.NotFound(w, r)
			return
		}
	}
	nonce := newNonce()
	w.Header().Set("Content-Security-Policy", c.consoleCSP(nonce))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(bytes.ReplaceAll(c.index, []byte(NoncePlaceholder), []byte(nonce)))
}

// serveDocs serves the API reference (Swagger UI, embedded) from dist/docs.
func (c *Console) serveDocs(w http.ResponseWriter, r *http.Request) {
	rel := strings.TrimPrefix(path.Clean(r.URL.Path), "/docs")
	rel = strings.TrimPrefix(rel, "/")
	if rel == "" {
		rel = "index.html"
	}
	securityHeaders(w)
	a, err := c.asset("docs/" + rel)
	if err != nil {
		if c.index == nil && rel == "index.html" {
			http.Error(w, "The API reference is not built into this binary: run `make build`. The spec is at /openapi.yaml.", http.StatusServiceUnavailable)
			return
		}
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Security-Policy", docsCSP)
	w.Header().Set("Cache-Control", "no-cache")
	a.serve(w, r)
}

// docsCSP lets Swagger UI run from our own files only. It sets style attributes
// from its stylesheet-less components, hence 'unsafe-inline' for styles (never
// for scripts).
const docsCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// consoleCSP allows the console's own files and, for index.html, the inline style
// elements MUI's emotion inserts, which carry the response's nonce.
func (c *Console) consoleCSP(nonce string) string {
	style := "'self'"
	if nonce != "" {
		style += " 'nonce-" + nonce + "'"
	}
	connect := "'self'"
	if u, err := url.Parse(c.cfg.OIDCIssuer); err == nil && c.cfg.OIDCIssuer != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src " + style + "; img-src 'self' data: blob:; font-src 'self' data:; " +
		"connect-src " + connect + "; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func securityHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	// No Referer: an SSO callback URL carries the authorization code.
	h.Set("Referrer-Policy", "no-referrer")
}

func newNonce() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// asset loads a file once and keeps it (and its gzip copy) in memory.
func (c *Console) asset(name string) (*asset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if a, ok := c.cache[name]; ok {
		return a, nil
	}
	if !fs.ValidPath(name) {
		return nil, fs.ErrNotExist
	}
	st, err := fs.Stat(c.files, name)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errors.New("adminweb: a directory")
	}
	body, err := fs.ReadFile(c.files, name)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(body)
	a := &asset{body: body, etag: `"` + hex.EncodeToString(sum[:12]) + `"`, ctype: mime.TypeByExtension(path.Ext(name))}
	if a.ctype == "" {
		a.ctype = http.DetectContentType(body)
	}
	if len(body) > 1024 && compressible(a.ctype) {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		if buf.Len() < len(body) {
			a.gz = buf.Bytes()
		}
	}
	c.cache[name] = a
	return a, nil
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg", "application/wasm"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

// serve writes the asset, gzipped when the client accepts it, and answers a
// matching If-None-Match with 304.
func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("ETag", a.etag)
	h.Add("Vary", "Accept-Encoding")
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if a.gz != nil && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}
