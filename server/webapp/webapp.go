// Package webapp serves the hub's web pages — the referral portal and ESCAP
// workspace at /portal/, the dashboards at /dashboard/ — built from web/ by
// Vite (scripts/web-build) into dist/, which is committed and embedded with
// go:embed: the binary serves them with no npm step and nothing from the
// internet.
//
// The build is one single-page application: every page path under a mounted
// prefix answers its index.html (the application routes in the browser), and
// its hashed files are served under AssetPrefix, cached for a year. The page
// carries a strict Content-Security-Policy (scripts, styles and connections
// to the hub's own origin only, plus the external OpenID Connect issuer when
// there is one) and learns how to sign in from a meta element the handler
// adds to it.
package webapp

import (
	"bytes"
	"compress/gzip"
	"embed"
	"html"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is the URL path the build's files are served under (Vite's
// base in web/vite.config.ts).
const AssetPrefix = "/app/"

// Prefixes are the page paths the application answers.
var Prefixes = []string{"/portal/", "/dashboard/"}

// assetCacheControl: asset names carry a content hash, so they never change.
const assetCacheControl = "public, max-age=31536000, immutable"

// Config is how the pages sign in.
type Config struct {
	// Issuer is the OpenID Connect issuer's URL (the hub itself in
	// development).
	Issuer string
	// ClientID is the pages' client id at the issuer.
	ClientID string
	// Dev says the issuer is the hub's development issuer.
	Dev bool
	// DevSignIn says the development issuer serves its sign-in page.
	DevSignIn bool
}

// file is one embedded file with its lazily computed gzip encoding.
type file struct {
	name, contentType string
	body              []byte
	gzipOnce          sync.Once
	gzipped           []byte
}

func (f *file) gzipBody() []byte {
	f.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(f.body)
		zw.Close()
		if buf.Len() < len(f.body) {
			f.gzipped = buf.Bytes()
		}
	})
	return f.gzipped
}

// Handler serves the pages and their files. Mount it on AssetPrefix and on
// each of Prefixes (and the prefixes without their slash, which redirect).
func Handler(cfg Config) http.Handler {
	h := &handler{files: map[string]*file{}}
	fs.WalkDir(dist, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(dist, p)
		if err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		name := strings.TrimPrefix(p, "dist/")
		h.files[name] = &file{name: name, contentType: ct, body: body}
		return nil
	})
	index := h.files["index.html"]
	if index == nil {
		panic("webapp: dist/index.html is missing: run scripts/web-build")
	}
	meta := `<meta name="maillage-oidc" content="` + html.EscapeString(cfg.Issuer) +
		`" data-client-id="` + html.EscapeString(cfg.ClientID) + `" data-dev="` + strconv.FormatBool(cfg.Dev) + `" data-dev-sign-in="` + strconv.FormatBool(cfg.DevSignIn) + `">`
	h.page = bytes.Replace(index.body, []byte("</head>"), []byte(meta+"\n</head>"), 1)
	h.csp = contentSecurityPolicy(cfg.Issuer)
	return h
}

type handler struct {
	files map[string]*file
	page  []byte
	csp   string
}

// contentSecurityPolicy allows the hub's origin, and the issuer's for the
// token exchange when it is elsewhere.
func contentSecurityPolicy(issuer string) string {
	connect := "'self'"
	if u, err := url.Parse(issuer); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		"font-src 'self'",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if strings.HasPrefix(p, AssetPrefix) {
		f := h.files[strings.TrimPrefix(p, AssetPrefix)]
		if f == nil || f.name == "index.html" {
			http.NotFound(w, r)
			return
		}
		h.serveFile(w, r, f)
		return
	}
	for _, prefix := range Prefixes {
		if p == strings.TrimSuffix(prefix, "/") {
			http.Redirect(w, r, prefix, http.StatusMovedPermanently)
			return
		}
		// Page paths have no extension: a missing file is not a page.
		if strings.HasPrefix(p, prefix) && path.Ext(p) == "" {
			h.servePage(w, r)
			return
		}
	}
	http.NotFound(w, r)
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
}

func (h *handler) serveFile(w http.ResponseWriter, r *http.Request, f *file) {
	hdr := w.Header()
	hdr.Set("Content-Type", f.contentType)
	hdr.Set("Cache-Control", assetCacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Accept-Encoding")
	body := f.body
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if gz := f.gzipBody(); gz != nil {
			hdr.Set("Content-Encoding", "gzip")
			body = gz
		}
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}
