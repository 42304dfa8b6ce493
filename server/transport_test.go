package server_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// transportHub is a seeded hub allowing one other origin and batches of 3.
func transportHub(t *testing.T) *hub {
	return newHub(t, pgtest.Seeded(t), server.Config{AllowedOrigins: []string{"http://portal.example"}, MaxBatch: 3})
}

func TestABatchAnswersEachOperationInOrderUpToTheMaximum(t *testing.T) {
	h := transportHub(t)
	res, body := h.send(`[{"query":"{ __typename }"},{"query":"{ nope }"},{"query":"{ territories(first: 1) { totalCount } }"}]`,
		map[string]string{"Accept": "application/json"})
	var results []map[string]any
	if err := json.Unmarshal([]byte(body), &results); err != nil || res.StatusCode != 200 || len(results) != 3 {
		t.Fatalf("got %d %s", res.StatusCode, body)
	}
	if jpath(results[0], "data.__typename") != "Query" || jpath(results[1], "errors.0.extensions.code") != "GRAPHQL_VALIDATION_FAILED" ||
		results[1]["data"] != nil || jpath(results[2], "data.territories.totalCount") == nil {
		t.Errorf("results out of order or wrong: %s", body)
	}

	res, body = h.send("["+strings.Repeat(`{"query":"{ __typename }"},`, 3)+`{"query":"{ __typename }"}]`, nil)
	if res.StatusCode != 400 || !strings.Contains(body, "at most 3 operations") || !strings.Contains(body, "BAD_USER_INPUT") {
		t.Errorf("a batch of 4 over a maximum of 3: %d %s", res.StatusCode, body)
	}
}

// deferred asks for the territories' parents in a deferred fragment.
const deferred = `{"query":"{ territories(first: 2) { edges { node { name ... @defer(label: \"parents\") { parent { name } } } } } }"}`

func TestDeferIsDeliveredAsTheCallerAccepts(t *testing.T) {
	h := transportHub(t)
	t.Run("JSON only: one response, fragments merged", func(t *testing.T) {
		res, body := h.send(deferred, map[string]string{"Accept": "application/json"})
		var r map[string]any
		if err := json.Unmarshal([]byte(body), &r); err != nil || res.StatusCode != 200 {
			t.Fatalf("got %d %s", res.StatusCode, body)
		}
		if jpath(r, "data.territories.edges.1.node.parent.name") == nil || r["hasNext"] != nil {
			t.Errorf("deferred names not merged: %s", body)
		}
	})
	t.Run("multipart/mixed: the initial part, then the deferred one", func(t *testing.T) {
		res, body := h.send(deferred, map[string]string{"Accept": "multipart/mixed;deferSpec=20220824, application/json"})
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/mixed") {
			t.Fatalf("Content-Type %q: %s", ct, body)
		}
		initial, rest, _ := strings.Cut(body, `"incremental"`)
		if !strings.Contains(initial, `"hasNext":true`) || strings.Contains(initial, `"parent":{`) ||
			!strings.Contains(rest, `"parent":{"name":"France"}`) || !strings.Contains(rest, `"label":"parents"`) || !strings.HasSuffix(strings.TrimSpace(body), "---") {
			t.Errorf("not an incremental delivery: %s", body)
		}
	})
	t.Run("text/event-stream: one event per part", func(t *testing.T) {
		res, body := h.send(deferred, map[string]string{"Accept": "text/event-stream"})
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") || strings.Count(body, "event: next") < 2 ||
			!strings.HasSuffix(strings.TrimSpace(body), "event: complete") {
			t.Errorf("%s: %s", ct, body)
		}
	})
}

// sse posts an operation for server-sent events with a token and returns the
// response and a reader of its events' data ("complete" for the end).
func (h *hub) sse(token, query string) (*http.Response, func() string) {
	h.t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, h.url+"/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { res.Body.Close() })
	sc := bufio.NewScanner(res.Body)
	return res, func() string {
		for sc.Scan() {
			switch line := sc.Text(); {
			case line == "event: complete":
				return "complete"
			case strings.HasPrefix(line, "data: "):
				return strings.TrimPrefix(line, "data: ")
			}
		}
		return "EOF"
	}
}

func TestASubscriptionOverServerSentEventsGetsEventsUntilTheTokenExpires(t *testing.T) {
	h := transportHub(t)
	rouenNord := h.id(`SELECT id FROM territories WHERE path = 'fr/28/76/cpts-rouen-nord'`)
	cursor := h.ok("admin", `{ eventCursor }`, nil)["eventCursor"].(string)
	res, next := h.sse(h.signed("admin", 3*time.Second),
		`subscription { territoryActivity(territoryId: "`+rouenNord+`", after: "`+cursor+`") { type subjectId } }`)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("got %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	created := h.ok("admin", `mutation($t: ID!) { createStructure(input: {kind: MSP, name: "MSP SSE", territoryId: $t}) { id } }`,
		map[string]any{"t": rouenNord})
	id := jpath(created, "createStructure.id").(string)
	if ev := next(); !strings.Contains(ev, `"subjectId":"`+id+`"`) || !strings.Contains(ev, "STRUCTURE_CREATED") {
		t.Fatalf("first event %s, want the creation of %s", ev, id)
	}
	if ev := next(); !strings.Contains(ev, "token expired") || !strings.Contains(ev, "UNAUTHENTICATED") {
		t.Fatalf("after the token's expiry: %s, want a token expired error", ev)
	}
	if ev := next(); ev != "complete" {
		t.Fatalf("after the error: %s, want complete", ev)
	}
}

func TestAQueryOverGETCanComeAsServerSentEvents(t *testing.T) {
	h := transportHub(t)
	req, _ := http.NewRequest(http.MethodGet, h.url+"/graphql?query="+url.QueryEscape("{ __typename }"), nil)
	req.Header.Set("Accept", "text/event-stream") // as a browser's EventSource asks
	res, body := h.roundTrip(req)
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") ||
		!strings.Contains(string(body), "event: next\ndata: {\"data\":{\"__typename\":\"Query\"}}") || !strings.Contains(string(body), "event: complete") {
		t.Errorf("%d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
	}
	req, _ = http.NewRequest(http.MethodGet, h.url+"/graphql?query="+url.QueryEscape("mutation { __typename }"), nil)
	req.Header.Set("Accept", "text/event-stream")
	if res, body := h.roundTrip(req); res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("a mutation over GET as events: %d %s", res.StatusCode, body)
	}
}

func TestCrossOriginRequestsFromAllowedOriginsOnly(t *testing.T) {
	h := transportHub(t)
	preflight := func(origin string) *http.Response {
		req, _ := http.NewRequest(http.MethodOptions, h.url+"/graphql", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
		res, _ := h.roundTrip(req)
		return res
	}
	res := preflight("http://portal.example")
	if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "http://portal.example" ||
		res.Header.Get("Access-Control-Max-Age") != "3600" || res.Header.Get("Access-Control-Allow-Credentials") != "" ||
		!strings.Contains(strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")), "authorization") {
		t.Errorf("allowed origin's preflight: %d %v", res.StatusCode, res.Header)
	}
	if res := preflight("http://elsewhere.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused origin's preflight allowed: %v", res.Header)
	}
	res, _ = h.send(`{"query":"{ __typename }"}`, map[string]string{"Origin": "http://portal.example"})
	if res.Header.Get("Access-Control-Allow-Origin") != "http://portal.example" || !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Errorf("allowed origin's POST: %v", res.Header)
	}
}

func TestLargeResponsesAreGzipped(t *testing.T) {
	h := transportHub(t)
	res, body := h.send(`{"query":"{ a: territories(first: 50) { edges { node { id name path } } } b: territories(first: 50) { edges { node { id name path } } } }"}`, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "gzip" || res.StatusCode != 200 {
		t.Errorf("large response: %d Content-Encoding %q", res.StatusCode, res.Header.Get("Content-Encoding"))
	}
	_ = body // gzipped: the client asked for it itself, so did not decode it
	res, _ = h.send(`{"query":"{ __typename }"}`, map[string]string{"Accept-Encoding": "gzip"})
	if res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a small response is compressed: %v", res.Header)
	}
}

func TestIntrospectionDeclaresOnlyLocationsGraphQLJSKnows(t *testing.T) {
	h := transportHub(t)
	data := h.ok("", `{ __schema { directives { name locations } } }`, nil)
	for _, d := range jpath(data, "__schema.directives").([]any) {
		for _, l := range d.(map[string]any)["locations"].([]any) {
			if l == "DIRECTIVE_DEFINITION" {
				t.Errorf("@%s declared on DIRECTIVE_DEFINITION", d.(map[string]any)["name"])
			}
		}
	}
}
