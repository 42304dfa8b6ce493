package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/maillage/maillage/postgres/pgtest"
	"github.com/maillage/maillage/server"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// newObservedHub starts a hub over a seeded database whose logs go to the
// returned buffer as JSON lines, with the tracing exporter if given.
func newObservedHub(t *testing.T, tracing ...string) (*hub, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	cfg := server.Config{Logger: slog.New(server.NewLogHandler(slog.NewJSONHandler(logs, nil)))}
	if len(tracing) > 0 {
		cfg.Tracing = tracing[0]
	}
	return newHub(t, pgtest.Seeded(t), cfg), logs
}

// scrape reads /metrics and returns the value of each sample line by its
// name and labels as printed (e.g. `maillage_graphql_errors_total{code="X"}`).
func scrape(t *testing.T, h *hub) map[string]float64 {
	t.Helper()
	res, err := http.Get(h.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", res.Status)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

func TestMetricsCountRequestsErrorsAndStatements(t *testing.T) {
	h, _ := newObservedHub(t)
	const (
		ok           = `maillage_http_requests_total{code="200",handler="graphql",method="POST"}`
		unauthorized = `maillage_http_requests_total{code="401",handler="graphql",method="POST"}`
		validation   = `maillage_graphql_errors_total{code="GRAPHQL_VALIDATION_FAILED"}`
		unauthErr    = `maillage_graphql_errors_total{code="UNAUTHENTICATED"}`
		statements   = `maillage_sql_statements_total`
		latency      = `maillage_http_request_duration_seconds_count{handler="graphql"}`
	)
	before := scrape(t, h)

	if res, body := h.send(`{"query":"{ territories(first: 3) { edges { node { name } } } }"}`, nil); res.StatusCode != 200 || !strings.Contains(body, "France") {
		t.Fatalf("query: %d %s", res.StatusCode, body)
	}
	if _, body := h.send(`{"query":"{ noSuchField }"}`, nil); !strings.Contains(body, "GRAPHQL_VALIDATION_FAILED") {
		t.Fatalf("invalid query: %s", body)
	}
	if res, _ := h.send(`{"query":"{ me { login } }"}`, map[string]string{"Authorization": "Bearer not-a-token"}); res.StatusCode != 401 {
		t.Fatalf("bad token: %d", res.StatusCode)
	}

	after := scrape(t, h)
	for name, want := range map[string]float64{ok: 2, unauthorized: 1, validation: 1, unauthErr: 1, latency: 3} {
		if got := after[name] - before[name]; got != want {
			t.Errorf("%s grew by %v, want %v", name, got, want)
		}
	}
	if after[statements] <= before[statements] {
		t.Errorf("%s did not grow with a query reading the database (%v then %v)", statements, before[statements], after[statements])
	}
	for _, name := range []string{"maillage_subscriptions_open", "maillage_sql_statement_duration_seconds_count"} {
		if _, ok := after[name]; !ok {
			t.Errorf("/metrics has no %s", name)
		}
	}
}

func TestSubscriptionAndEventMetrics(t *testing.T) {
	h, _ := newObservedHub(t)
	before := scrape(t, h)
	closed := server.DefaultMetrics.SubscriptionOpened()
	server.DefaultMetrics.EventDelivered("structure")
	during := scrape(t, h)
	closed()
	closed() // a second call changes nothing
	after := scrape(t, h)
	if got := during["maillage_subscriptions_open"] - before["maillage_subscriptions_open"]; got != 1 {
		t.Errorf("open subscriptions grew by %v, want 1", got)
	}
	if got := after["maillage_subscriptions_open"]; got != before["maillage_subscriptions_open"] {
		t.Errorf("open subscriptions after close: %v, want %v", got, before["maillage_subscriptions_open"])
	}
	ev := `maillage_events_delivered_total{topic="structure"}`
	if got := after[ev] - before[ev]; got != 1 {
		t.Errorf("%s grew by %v, want 1", ev, got)
	}
}

// logLines returns the JSON records of logs with msg.
func logLines(t *testing.T, logs *syncBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

func TestAccessLogCarriesRequestIDAndOperation(t *testing.T) {
	h, logs := newObservedHub(t)
	res, body := h.send(`{"query":"query Who { me { login } }","operationName":"Who"}`, map[string]string{"X-Request-Id": "req-from-caller"})
	if res.StatusCode != 200 || res.Header.Get("X-Request-Id") != "req-from-caller" {
		t.Fatalf("%d %v %s", res.StatusCode, res.Header, body)
	}
	res, _ = h.send(`{"query":"{ me { login } }"}`, map[string]string{"Authorization": "Bearer forged"})
	generated := res.Header.Get("X-Request-Id")
	if generated == "" {
		t.Fatal("no X-Request-Id on the response")
	}

	lines := logLines(t, logs, "request")
	if len(lines) != 2 {
		t.Fatalf("want 2 access log lines, got %d: %s", len(lines), logs.String())
	}
	first := lines[0]
	for k, want := range map[string]any{"request_id": "req-from-caller", "method": "POST", "path": "/graphql", "status": 200.0, "operation": "Who", "level": "INFO"} {
		if first[k] != want {
			t.Errorf("access log %s = %v, want %v (%v)", k, first[k], want, first)
		}
	}
	if d, ok := first["duration_ms"].(float64); !ok || d <= 0 {
		t.Errorf("access log duration_ms = %v", first["duration_ms"])
	}
	if lines[1]["request_id"] != generated || lines[1]["status"] != 401.0 {
		t.Errorf("second access log line: %v, want request_id %s status 401", lines[1], generated)
	}
	// Every other line logged during the refused request carries its id too.
	refused := logLines(t, logs, "authentication refused")
	if len(refused) != 1 || refused[0]["request_id"] != generated {
		t.Errorf("authentication refused lines: %v, want one with request_id %s", refused, generated)
	}
}

func TestGraphQLOverHTTPStatusAndMediaType(t *testing.T) {
	h, _ := newObservedHub(t)
	cases := []struct {
		name, method, body, accept string
		status                     int
		media                      string
		hasData                    bool
	}{
		{"query, graphql-response", "POST", `{"query":"{ __typename }"}`, "application/graphql-response+json", 200, "application/graphql-response+json", true},
		{"invalid, graphql-response", "POST", `{"query":"{ nope }"}`, "application/graphql-response+json", 400, "application/graphql-response+json", false},
		{"invalid, json", "POST", `{"query":"{ nope }"}`, "application/json", 200, "application/json", false},
		{"no query", "POST", `{"variables":{}}`, "application/json", 400, "application/json", false},
		{"not JSON", "POST", `{"query":`, "application/graphql-response+json", 400, "application/graphql-response+json", false},
		{"GraphiQL's Accept", "POST", `{"query":"{ __typename }"}`, "application/json, multipart/mixed", 200, "application/json", true},
		{"Hive Gateway's Accept", "POST", `{"query":"{ __typename }"}`, "application/graphql-response+json, application/json, multipart/mixed", 200, "application/graphql-response+json", true},
		{"urql's Accept", "POST", `{"query":"{ __typename }"}`, "application/graphql-response+json, application/graphql+json, application/json, text/event-stream, multipart/mixed", 200, "application/graphql-response+json", true},
		{"unacceptable", "POST", `{"query":"{ __typename }"}`, "text/html", 406, "application/json", false},
		{"query over GET", "GET", "{ __typename }", "application/graphql-response+json", 200, "application/graphql-response+json", true},
		{"mutation over GET", "GET", "mutation { __typename }", "application/graphql-response+json", 405, "application/graphql-response+json", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var req *http.Request
			if c.method == "GET" {
				req, _ = http.NewRequest("GET", h.url+"/graphql?query="+url.QueryEscape(c.body), nil)
			} else {
				req, _ = http.NewRequest("POST", h.url+"/graphql", strings.NewReader(c.body))
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Accept", c.accept)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != c.status || !strings.HasPrefix(res.Header.Get("Content-Type"), c.media) {
				t.Errorf("got %d %s, want %d %s: %v", res.StatusCode, res.Header.Get("Content-Type"), c.status, c.media, body)
			}
			if _, has := body["data"]; has != c.hasData {
				t.Errorf("data entry present = %v, want %v: %v", has, c.hasData, body)
			}
			if !c.hasData && len(body["errors"].([]any)) == 0 {
				t.Errorf("no errors in %v", body)
			}
			if c.status == 405 && res.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q, want POST", res.Header.Get("Allow"))
			}
		})
	}
}

func TestTracingStdoutExportsOperationAndFieldSpans(t *testing.T) {
	h, _ := newObservedHub(t, server.TracingStdout)
	var spans syncBuffer
	shutdown, err := server.SetupTracing(context.Background(), server.TracingStdout, &spans)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })
	h.send(`{"query":"query Dir { territories(first: 2) { edges { node { name parent { name } } } } }"}`, map[string]string{
		"traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
	})
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := spans.String()
	for _, name := range []string{`"Name":"POST graphql"`, `"Name":"graphql query Dir"`, `"Name":"Query.territories"`, `"Name":"Territory.parent"`, `"TraceID":"4bf92f3577b34da6a3ce929d0e0e4736"`} {
		if !strings.Contains(out, name) {
			t.Errorf("spans lack %s: %s", name, out)
		}
	}
	if _, err := server.SetupTracing(context.Background(), "zipkin", io.Discard); err == nil {
		t.Error("an unknown exporter is accepted")
	}
}
