// Package explorer serves the GraphiQL IDE, a browser page to explore and
// query the Maillage GraphQL API.
//
// Every file the page needs (React, ReactDOM, GraphiQL and the small
// bootstrap script and style sheet) is embedded in the binary with go:embed
// and served by this package: the page loads nothing from the internet, so
// it works on networks without internet access. The vendored files and how
// to update them are described in assets/README.md.
//
// The page is served with a strict Content-Security-Policy: scripts only
// from the same origin (no inline script), style sheets from the same origin
// plus a per-response nonce for the one <style> element GraphiQL's dialogs
// inject at run time.
package explorer

import (
	"bytes"
	"compress/gzip"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AssetPrefix is the URL path prefix under which Handler serves the page's
// JavaScript and CSS files.
const AssetPrefix = "/explorer/assets/"

// DefaultEndpoint is the GraphQL endpoint path Handler uses when given an
// empty one.
const DefaultEndpoint = "/graphql"

// assetCacheControl lets browsers keep assets for a year: the page refers to
// them with a ?v=<content hash> query, so a new build yields new URLs.
const assetCacheControl = "public, max-age=31536000, immutable"

//go:embed assets/*.js assets/*.css
var assetFiles embed.FS

// Order matters: scripts run in this order (React before ReactDOM before
// GraphiQL before the bootstrap script that uses all three).
var (
	styleNames     = []string{"graphiql.min.css", "explorer.css"}
	scriptNames    = []string{"react.production.min.js", "react-dom.production.min.js", "graphiql.min.js"}
	bootstrapName  = "explorer.js"
	contentTypeFor = map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
	}
)

// asset is one embedded file, with its identity and (lazily) gzip encodings.
type asset struct {
	name        string
	contentType string
	body        []byte
	hash        string // hex SHA-256 prefix of body, used in URLs and ETags

	gzipOnce sync.Once
	gzipped  []byte // nil when gzip does not make the file smaller
}

func (a *asset) url() string {
	return AssetPrefix + a.name + "?v=" + a.hash
}

func (a *asset) gzipBody() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return
		}
		if _, err := zw.Write(a.body); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if buf.Len() < len(a.body) {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

// assets maps a file name (no directory) to the embedded file; loaded once.
var assets = sync.OnceValue(func() map[string]*asset {
	m := make(map[string]*asset)
	entries, err := fs.ReadDir(assetFiles, "assets")
	if err != nil {
		panic("explorer: reading embedded assets: " + err.Error())
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		ct, ok := contentTypeFor[path.Ext(e.Name())]
		if !ok {
			continue
		}
		body, err := fs.ReadFile(assetFiles, "assets/"+e.Name())
		if err != nil {
			panic("explorer: reading embedded asset: " + err.Error())
		}
		sum := sha256.Sum256(body)
		m[e.Name()] = &asset{
			name:        e.Name(),
			contentType: ct,
			body:        body,
			hash:        hex.EncodeToString(sum[:8]),
		}
	}
	for _, name := range append(append(append([]string{}, styleNames...), scriptNames...), bootstrapName) {
		if m[name] == nil {
			panic("explorer: embedded asset missing: " + name)
		}
	}
	return m
})

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Maillage — GraphQL explorer</title>
<link rel="icon" href="data:,">
{{- range .Styles}}
<link rel="stylesheet" href="{{.}}">
{{- end}}
</head>
<body>
<div id="graphiql" data-endpoint="{{.Endpoint}}">
<noscript><p class="explorer-noscript">The GraphQL explorer needs JavaScript.</p></noscript>
</div>
{{- range .Scripts}}
<script src="{{.}}"></script>
{{- end}}
<script src="{{.Bootstrap}}" nonce="{{.Nonce}}"></script>
</body>
</html>
`))

type pageData struct {
	Endpoint  string
	Styles    []string
	Scripts   []string
	Bootstrap string
	Nonce     string
}

// contentSecurityPolicy returns the page's policy for the given nonce.
// connect-src 'self' also covers ws:// and wss:// to the same host (CSP
// level 3), used by GraphiQL for subscriptions.
func contentSecurityPolicy(nonce string) string {
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'nonce-" + nonce + "'",
		"font-src 'self' data:", // GraphiQL's fonts are data: URLs in its CSS
		"img-src 'self' data:",
		"connect-src 'self'",
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// Handler serves the explorer page at "/" and its assets under "/explorer/assets/".
// endpoint is the GraphQL endpoint path, e.g. "/graphql".
//
// The page sends queries and mutations to endpoint over HTTP (POST) and
// subscriptions over a WebSocket to the same path (ws:// or wss:// after the
// page's own scheme). Its headers editor lets a user set request headers
// such as {"Authorization": "Bearer <token>"}; they are kept in the
// browser's localStorage. An empty endpoint means DefaultEndpoint.
//
// Only GET and HEAD are allowed (405 otherwise); any other path is 404.
// Handler expects to see the full request path: mount it at the root of a
// mux (e.g. mux.Handle("/", explorer.Handler("/graphql"))), not behind
// http.StripPrefix.
func Handler(endpoint string) http.Handler {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	all := assets()
	data := pageData{Endpoint: endpoint, Bootstrap: all[bootstrapName].url()}
	for _, n := range styleNames {
		data.Styles = append(data.Styles, all[n].url())
	}
	for _, n := range scriptNames {
		data.Scripts = append(data.Scripts, all[n].url())
	}
	return &handler{page: data, assets: all}
}

type handler struct {
	page   pageData
	assets map[string]*asset
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var serve func(http.ResponseWriter, *http.Request)
	switch p := r.URL.Path; {
	case p == "/":
		serve = h.servePage
	case strings.HasPrefix(p, AssetPrefix):
		a := h.assets[strings.TrimPrefix(p, AssetPrefix)]
		if a == nil {
			http.NotFound(w, r)
			return
		}
		serve = func(w http.ResponseWriter, r *http.Request) { serveAsset(w, r, a) }
	default:
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	serve(w, r)
}

func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	nonce := rand.Text() // 128 random bits, base32: valid in a CSP nonce
	data := h.page
	data.Nonce = nonce
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		http.Error(w, "explorer: cannot render page", http.StatusInternalServerError)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Content-Security-Policy", contentSecurityPolicy(nonce))
	hdr.Set("Cache-Control", "no-store") // the nonce is per response
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(buf.Bytes()))
}

func serveAsset(w http.ResponseWriter, r *http.Request, a *asset) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", assetCacheControl)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Add("Vary", "Accept-Encoding")
	body, etag := a.body, `"`+a.hash+`"`
	if acceptsGzip(r) {
		if gz := a.gzipBody(); gz != nil {
			hdr.Set("Content-Encoding", "gzip")
			body, etag = gz, `"`+a.hash+`-gzip"`
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (listed with a non-zero quality value).
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			coding = strings.ToLower(strings.TrimSpace(coding))
			if coding != "gzip" && coding != "x-gzip" {
				continue
			}
			q := 1.0
			for param := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(param, "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(val), 64); err == nil {
						q = f
					}
				}
			}
			return q > 0
		}
	}
	return false
}
