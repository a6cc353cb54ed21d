// Package metrics holds revokebot's Prometheus metrics. The bot and the Graph
// client see it only through the small interfaces they declare.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics is one process's set of metrics, on its own registry.
type Metrics struct {
	reg         *prometheus.Registry
	commands    *prometheus.CounterVec
	decisions   *prometheus.CounterVec
	revocations *prometheus.CounterVec
	graph       *prometheus.HistogramVec
	exchange    *prometheus.HistogramVec
	throttled   prometheus.Counter
	reconnects  prometheus.Counter
	bulk        *prometheus.GaugeVec
	alertLooks  *prometheus.CounterVec
	alertCards  *prometheus.CounterVec
	alertLag    *prometheus.GaugeVec
}

// New registers every metric the SPEC names.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "revokebot_commands_total", Help: "Slash commands by outcome (accepted, refused, invalid, busy, failed)."}, []string{"outcome"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "revokebot_decisions_total", Help: "Button clicks by decision and outcome."}, []string{"decision", "outcome"}),
		revocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "revokebot_revocations_total", Help: "Session revocations by outcome (succeeded, failed)."}, []string{"outcome"}),
		graph: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "revokebot_graph_request_duration_seconds", Help: "Microsoft Graph request latency by HTTP status.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"code"}),
		exchange: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "revokebot_exchange_request_duration_seconds", Help: "Exchange Online admin endpoint request latency by HTTP status.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"code"}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "revokebot_graph_throttled_total", Help: "Graph answers of 429 Too Many Requests."}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "revokebot_slack_reconnects_total", Help: "Socket Mode connections opened after the first."}),
		bulk: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "revokebot_bulk_users", Help: "Users of the running /revoke all job by state."}, []string{"state"}),
		alertLooks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "revokebot_alert_looks_total", Help: "Looks at an alert source by source (defender, risky_users) and outcome (read, failed)."}, []string{"source", "outcome"}),
		alertCards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "revokebot_alert_cards_total", Help: "Detections by source and what became of them (opened, folded into an open card, quiet)."}, []string{"source", "outcome"}),
		alertLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "revokebot_alert_watermark_lag_seconds", Help: "How far behind now each alert source's watermark is after a look."}, []string{"source"}),
	}
	m.reg.MustRegister(m.commands, m.decisions, m.revocations, m.graph, m.exchange, m.throttled, m.reconnects, m.bulk,
		m.alertLooks, m.alertCards, m.alertLag,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	// Zero until a /revoke all job runs, but present, so dashboards and
	// alerts can be written before the first incident.
	for _, state := range []string{"done", "failed", "skipped", "remaining"} {
		m.bulk.WithLabelValues(state).Set(0)
	}
	return m
}

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler { return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}) }

// Command counts a slash command.
func (m *Metrics) Command(outcome string) { m.commands.WithLabelValues(outcome).Inc() }

// Decision counts a click.
func (m *Metrics) Decision(decision, outcome string) {
	m.decisions.WithLabelValues(decision, outcome).Inc()
}

// Revocation counts a revocation's end.
func (m *Metrics) Revocation(outcome string) { m.revocations.WithLabelValues(outcome).Inc() }

// Reconnect counts a Socket Mode reconnection.
func (m *Metrics) Reconnect() { m.reconnects.Inc() }

// GraphRequest observes one HTTP exchange with Graph; status 0 is a network error.
func (m *Metrics) GraphRequest(d time.Duration, status int) {
	m.graph.WithLabelValues(strconv.Itoa(status)).Observe(d.Seconds())
	if status == http.StatusTooManyRequests {
		m.throttled.Inc()
	}
}

// ExchangeRequest observes one HTTP exchange with Exchange Online's admin
// endpoint; status 0 is a network error.
func (m *Metrics) ExchangeRequest(d time.Duration, status int) {
	m.exchange.WithLabelValues(strconv.Itoa(status)).Observe(d.Seconds())
}

// BulkUsers sets how many users of the running /revoke all job are in state.
func (m *Metrics) BulkUsers(state string, n int) { m.bulk.WithLabelValues(state).Set(float64(n)) }

// AlertLook counts a look at an alert source.
func (m *Metrics) AlertLook(source, outcome string) {
	m.alertLooks.WithLabelValues(source, outcome).Inc()
}

// AlertCard counts what became of one detection of a user.
func (m *Metrics) AlertCard(source, outcome string) {
	m.alertCards.WithLabelValues(source, outcome).Inc()
}

// AlertLag sets how far behind now a source's watermark is.
func (m *Metrics) AlertLag(source string, lag time.Duration) {
	m.alertLag.WithLabelValues(source).Set(lag.Seconds())
}
