package server

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/maillage/maillage/notify"
	"github.com/maillage/maillage/postgres"
)

// Metrics are the hub's Prometheus metrics, served at /metrics. They are
// process-wide, like the SQL statements they count: every Server of the
// process shares DefaultMetrics.
type Metrics struct {
	registry      *prometheus.Registry
	requests      *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	errors        *prometheus.CounterVec
	statements    prometheus.CounterFunc
	statementTime prometheus.Histogram
	subscriptions prometheus.Gauge
	events        *prometheus.CounterVec
	webhooks      *prometheus.CounterVec
	directReads   prometheus.Counter
	missedEvents  prometheus.CounterFunc
	// notifier is the mail notifier of the latest Server of the process
	// (nil: none), read by the maillage_notify_… metrics.
	notifier atomic.Pointer[notify.Service]
}

// DefaultMetrics are the metrics of this process.
var DefaultMetrics = newMetrics()

func newMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "maillage_http_requests_total",
			Help: "HTTP requests served, by handler (graphql, metrics, health, other), method and status code.",
		}, []string{"handler", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "maillage_http_request_duration_seconds",
			Help:    "Time to serve an HTTP request, by handler (a websocket counts until it closes).",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"handler"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "maillage_graphql_errors_total",
			Help: "GraphQL errors returned to callers, by extensions.code.",
		}, []string{"code"}),
		statements: prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "maillage_sql_statements_total",
			Help: "SQL statements sent to PostgreSQL by this process.",
		}, func() float64 { return float64(postgres.Statements()) }),
		statementTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "maillage_sql_statement_duration_seconds",
			Help:    "Time of a successful SQL statement.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2.5, 12),
		}),
		subscriptions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "maillage_subscriptions_open",
			Help: "GraphQL subscriptions open now.",
		}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "maillage_events_delivered_total",
			Help: "Events delivered to subscribers, by topic.",
		}, []string{"topic"}),
		webhooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "maillage_webhook_deliveries_total",
			Help: "Webhook delivery outcomes on this instance: delivered, retrying (an attempt failed, another is due), failed (the last attempt failed), withheld (the account may no longer see the event).",
		}, []string{"outcome"}),
		missedEvents: prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "maillage_outbox_events_missed_total",
			Help: "Outbox event ids a follower (mail notifier, webhook fan-out) of this process resumed past without handling: it was idle longer than the event retention.",
		}, func() float64 { return float64(postgres.MissedEvents()) }),
		directReads: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "maillage_graphql_direct_reads_total",
			Help: "Queries answered as direct reads (plain directory reads written without the per-field executor).",
		}),
	}
	m.registry.MustRegister(m.requests, m.latency, m.errors, m.statements, m.statementTime,
		m.subscriptions, m.events, m.directReads, m.webhooks, m.missedEvents,
		m.notifyCounter("maillage_notify_deliveries_total", "Mail notifications decided (one per event and recipient) by this instance.",
			func(s notify.Stats) float64 { return float64(s.Deliveries) }),
		m.notifyCounter("maillage_notify_mails_sent_total", "Notification mails this instance handed to the SMTP relay.",
			func(s notify.Stats) float64 { return float64(s.Sent) }),
		m.notifyCounter("maillage_notify_mail_failures_total", "Attempts to send a notification mail that failed (each is retried with backoff).",
			func(s notify.Stats) float64 { return float64(s.Failures) }),
		m.notifyCounter("maillage_notify_mails_abandoned_total", "Notification mails given up because the relay refused the recipient for good (5xx to RCPT TO).",
			func(s notify.Stats) float64 { return float64(s.Abandoned) }),
		m.notifyCounter("maillage_notify_digests_total", "Daily digest mails this instance made.",
			func(s notify.Stats) float64 { return float64(s.Digests) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "maillage_notify_mails_pending",
			Help: "Notification mails waiting to be sent, all instances (as this instance last read it)."},
			func() float64 { return m.notifyStats(func(s notify.Stats) float64 { return float64(s.Pending) }) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "maillage_notify_oldest_pending_seconds",
			Help: "Age of the oldest notification mail waiting to be sent (0: none)."},
			func() float64 { return m.notifyStats(func(s notify.Stats) float64 { return s.Oldest.Seconds() }) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// notifyCounter is a counter read from the notifier's figures.
func (m *Metrics) notifyCounter(name, help string, read func(notify.Stats) float64) prometheus.CounterFunc {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
		func() float64 { return m.notifyStats(read) })
}

// notifyStats reads one figure of the notifier (0 without one).
func (m *Metrics) notifyStats(read func(notify.Stats) float64) float64 {
	n := m.notifier.Load()
	if n == nil {
		return 0
	}
	return read(n.Stats())
}

func init() {
	postgres.StatementObserver = DefaultMetrics.observeStatement
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// Registry is where the metrics are registered (to add a collector).
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// SubscriptionOpened counts a subscription as open; call the returned
// function once when it ends.
func (m *Metrics) SubscriptionOpened() (closed func()) {
	m.subscriptions.Inc()
	done := false
	return func() {
		if !done {
			done = true
			m.subscriptions.Dec()
		}
	}
}

// EventDelivered counts one event of topic handed to one subscriber.
func (m *Metrics) EventDelivered(topic string) { m.events.WithLabelValues(topic).Inc() }

// WebhookOutcome counts one webhook delivery outcome ("delivered",
// "retrying", "failed", "withheld").
func (m *Metrics) WebhookOutcome(outcome string) { m.webhooks.WithLabelValues(outcome).Inc() }

// DirectRead counts one query answered as a direct read.
func (m *Metrics) DirectRead() { m.directReads.Inc() }

// GraphQLError counts one GraphQL error by its code ("" counts as INTERNAL).
func (m *Metrics) GraphQLError(code string) {
	if code == "" {
		code = "INTERNAL"
	}
	m.errors.WithLabelValues(code).Inc()
}

func (m *Metrics) observeStatement(d time.Duration) {
	m.statementTime.Observe(d.Seconds())
}

func (m *Metrics) observeRequest(r *http.Request, status int, d time.Duration) {
	h := handlerLabel(r.URL.Path)
	m.requests.WithLabelValues(h, methodLabel(r.Method), strconv.Itoa(status)).Inc()
	m.latency.WithLabelValues(h).Observe(d.Seconds())
}

// handlerLabel names the handler of path with a bounded set of values.
func handlerLabel(path string) string {
	switch {
	case path == "/graphql":
		return "graphql"
	case path == "/metrics":
		return "metrics"
	case path == "/healthz" || path == "/readyz":
		return "health"
	case strings.HasPrefix(path, "/.well-known/") || strings.HasPrefix(path, "/oidc/"):
		return "oidc"
	}
	return "other"
}

// methodLabel bounds the method label to the methods the hub knows.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodPost, http.MethodOptions, http.MethodHead:
		return method
	}
	return "other"
}
