package explorer

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"strings"
	"testing"
)

var (
	attrURL     = regexp.MustCompile(`(?i)\b(src|href)\s*=\s*"([^"]*)"`)
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	linkTag     = regexp.MustCompile(`(?i)<link\b[^>]*>`)
	nonceInCSP  = regexp.MustCompile(`'nonce-([^']+)'`)
	nonceInPage = regexp.MustCompile(`nonce="([^"]+)"`)
)

func get(t *testing.T, h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// pageAssetURLs returns the src of every <script> and the href of every
// stylesheet <link> of the page.
func pageAssetURLs(t *testing.T, page string) []string {
	t.Helper()
	var urls []string
	for _, m := range scriptTag.FindAllStringSubmatch(page, -1) {
		src := attrURL.FindStringSubmatch(m[1])
		if src == nil {
			t.Errorf("inline <script> (no src) in page: %q", m[0])
			continue
		}
		if strings.TrimSpace(m[2]) != "" {
			t.Errorf("<script> with a body in page: %q", m[0])
		}
		urls = append(urls, src[2])
	}
	for _, l := range linkTag.FindAllString(page, -1) {
		if !strings.Contains(strings.ToLower(l), `rel="stylesheet"`) {
			continue
		}
		href := attrURL.FindStringSubmatch(l)
		if href == nil {
			t.Errorf("stylesheet <link> without href: %q", l)
			continue
		}
		urls = append(urls, href[2])
	}
	return urls
}

func TestPage(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, "/")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type = %q, want text/html", ct)
	}
	page := rec.Body.String()
	for _, want := range []string{
		"<title>Maillage — GraphQL explorer</title>",
		`id="graphiql"`,
		`data-endpoint="/graphql"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	// Every URL in a src or href attribute is local: no http://, https://
	// or protocol-relative //host URL.
	for _, m := range attrURL.FindAllStringSubmatch(page, -1) {
		u := strings.ToLower(m[2])
		if strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "//") {
			t.Errorf("page refers to a remote URL: %s=%q", m[1], m[2])
		}
	}
	urls := pageAssetURLs(t, page)
	var scripts, styles int
	for _, u := range urls {
		if !strings.HasPrefix(u, AssetPrefix) {
			t.Errorf("asset URL %q is not under %s", u, AssetPrefix)
		}
		switch path.Ext(strings.SplitN(u, "?", 2)[0]) {
		case ".js":
			scripts++
		case ".css":
			styles++
		}
	}
	if scripts < 4 || styles < 1 {
		t.Errorf("page refers to %d scripts and %d style sheets, want >= 4 and >= 1: %v", scripts, styles, urls)
	}
}

func TestPageHeaders(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, "/")
	csp := rec.Header().Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy allows unsafe sources: %q", csp)
	}
	if strings.Contains(csp, "http:") || strings.Contains(csp, "https:") {
		t.Errorf("Content-Security-Policy allows remote sources: %q", csp)
	}
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("page Cache-Control = %q, want no-store", got)
	}

	// The nonce in the policy is the one on the bootstrap script, and
	// changes from one response to the next.
	m := nonceInCSP.FindStringSubmatch(csp)
	if m == nil {
		t.Fatalf("no nonce in Content-Security-Policy %q", csp)
	}
	p := nonceInPage.FindStringSubmatch(rec.Body.String())
	if p == nil || p[1] != m[1] {
		t.Errorf("page nonce %v does not match policy nonce %q", p, m[1])
	}
	csp2 := get(t, h, "/").Header().Get("Content-Security-Policy")
	if m2 := nonceInCSP.FindStringSubmatch(csp2); m2 == nil || m2[1] == m[1] {
		t.Errorf("nonce not renewed between responses: %q then %q", csp, csp2)
	}
}

func TestAssets(t *testing.T) {
	h := Handler("/graphql")
	page := get(t, h, "/").Body.String()
	for _, u := range pageAssetURLs(t, page) {
		rec := get(t, h, u)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", u, rec.Code)
			continue
		}
		if rec.Body.Len() == 0 {
			t.Errorf("GET %s: empty body", u)
		}
		wantCT := map[string]string{".js": "text/javascript", ".css": "text/css"}[path.Ext(strings.SplitN(u, "?", 2)[0])]
		if ct := rec.Header().Get("Content-Type"); wantCT == "" || !strings.HasPrefix(ct, wantCT) {
			t.Errorf("GET %s: Content-Type = %q, want %q", u, ct, wantCT)
		}
		if cc := rec.Header().Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control = %q, want a long max-age", u, cc)
		}
		if rec.Header().Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding = %q", u, rec.Header().Get("Content-Encoding"))
		}

		// Same bytes gzipped when the client accepts gzip.
		gz := get(t, h, u, "Accept-Encoding", "gzip, deflate, br")
		if gz.Code != http.StatusOK {
			t.Errorf("GET %s (gzip) = %d, want 200", u, gz.Code)
			continue
		}
		if gz.Header().Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(gz.Body)
			if err != nil {
				t.Errorf("GET %s (gzip): %v", u, err)
				continue
			}
			plain, err := io.ReadAll(zr)
			if err != nil || !bytes.Equal(plain, rec.Body.Bytes()) {
				t.Errorf("GET %s (gzip): decoded body differs from identity body (err %v)", u, err)
			}
			if gz.Header().Get("ETag") == rec.Header().Get("ETag") {
				t.Errorf("GET %s: gzip and identity responses share ETag %s", u, rec.Header().Get("ETag"))
			}
		}

		// Revalidation with the ETag gives 304.
		if etag := rec.Header().Get("ETag"); etag == "" {
			t.Errorf("GET %s: no ETag", u)
		} else if nm := get(t, h, u, "If-None-Match", etag); nm.Code != http.StatusNotModified {
			t.Errorf("GET %s If-None-Match %s = %d, want 304", u, etag, nm.Code)
		}
	}
}

func TestBootstrapScript(t *testing.T) {
	h := Handler("/graphql")
	rec := get(t, h, AssetPrefix+"explorer.js")
	if rec.Code != http.StatusOK {
		t.Fatalf("GET explorer.js = %d", rec.Code)
	}
	js := rec.Body.String()
	for _, want := range []string{
		"{ territories(first: 5) { totalCount edges { node { name } } } }",
		"shouldPersistHeaders: true",
		"GraphiQL.createFetcher",
		"subscriptionUrl",
	} {
		if !strings.Contains(js, want) {
			t.Errorf("explorer.js lacks %q", want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	for _, tc := range []struct{ endpoint, want string }{
		{"/graphql", `data-endpoint="/graphql"`},
		{"", `data-endpoint="/graphql"`},
		{"/api/v1/graphql", `data-endpoint="/api/v1/graphql"`},
		{`/x"><script>alert(1)</script>`, `data-endpoint="/x&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"`},
	} {
		page := get(t, Handler(tc.endpoint), "/").Body.String()
		if !strings.Contains(page, tc.want) {
			t.Errorf("Handler(%q) page lacks %q", tc.endpoint, tc.want)
		}
	}
}

func TestNotFound(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{
		"/nope",
		"/index.html",
		"/graphql",
		"/explorer",
		"/explorer/assets/",
		"/explorer/assets/nope.js",
		"/explorer/assets/licenses/graphiql.LICENSE",
		"/explorer/assets/README.md",
		"/explorer/assets/../explorer.go",
		"/explorer/assets/assets/explorer.js",
	} {
		if rec := get(t, h, p); rec.Code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, rec.Code)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{"/", AssetPrefix + "explorer.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %d, want 405", p, rec.Code)
		}
		if allow := rec.Header().Get("Allow"); allow != "GET, HEAD" {
			t.Errorf("POST %s: Allow = %q", p, allow)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d body bytes, want 200 and none", rec.Code, rec.Body.Len())
	}
}

func TestAcceptsGzip(t *testing.T) {
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"deflate, gzip;q=0.8, br", true},
		{"GZIP", true},
		{"gzip;q=0", false},
		{"gzip; q=0.0", false},
		{"br", false},
		{"identity", false},
	} {
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		if tc.header != "" {
			req.Header.Set("Accept-Encoding", tc.header)
		}
		if got := acceptsGzip(req); got != tc.want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", tc.header, got, tc.want)
		}
	}
}
