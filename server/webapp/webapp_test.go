package webapp_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/maillage/maillage/server/webapp"
)

func get(t *testing.T, h http.Handler, method, path string, header map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	var r io.Reader = res.Body
	if res.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(res.Body)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	}
	b, _ := io.ReadAll(r)
	return res, string(b)
}

// Every page path answers the embedded index.html with the sign-in meta
// element and the policy; every file it names is served with its type and a
// year of cache; what is not a page or a file is 404.
func TestPagesAndTheirFiles(t *testing.T) {
	h := webapp.Handler(webapp.Config{Issuer: "https://idp.example/realms/pro", ClientID: "portal"})
	var page string
	for _, p := range []string{"/portal/", "/portal/demandes/ref_1", "/dashboard/", "/dashboard/ess/x"} {
		res, body := get(t, h, "GET", p, nil)
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/html; charset=utf-8" || res.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("%s: %d %v", p, res.StatusCode, res.Header)
		}
		csp := res.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") || !strings.Contains(csp, "connect-src 'self' https://idp.example;") {
			t.Errorf("%s: policy %q", p, csp)
		}
		if !strings.Contains(body, `<meta name="maillage-oidc" content="https://idp.example/realms/pro" data-client-id="portal" data-dev="false" data-dev-sign-in="false">`) {
			t.Errorf("%s: no sign-in meta in %s", p, body)
		}
		page = body
	}
	refs := regexp.MustCompile(`(?:src|href)="(/app/[^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 2 {
		t.Fatalf("the page names no script and style sheet: %s", page)
	}
	for _, ref := range refs {
		res, body := get(t, h, "GET", ref[1], map[string]string{"Accept-Encoding": "gzip"})
		want := map[bool]string{true: "text/javascript; charset=utf-8", false: "text/css; charset=utf-8"}[strings.HasSuffix(ref[1], ".js")]
		if res.StatusCode != 200 || res.Header.Get("Content-Type") != want || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") || len(body) < 100 {
			t.Errorf("%s: %d %v (%d bytes)", ref[1], res.StatusCode, res.Header, len(body))
		}
	}
	for path, status := range map[string]int{"/portal/favicon.ico": 404, "/app/index.html": 404, "/app/assets/nope.js": 404, "/portal": 301, "/elsewhere/": 404} {
		if res, _ := get(t, h, "GET", path, nil); res.StatusCode != status {
			t.Errorf("%s: %d, want %d", path, res.StatusCode, status)
		}
	}
	if res, _ := get(t, h, "POST", "/portal/", nil); res.StatusCode != 405 {
		t.Errorf("POST: %d", res.StatusCode)
	}
}
