// Package metrics measures the bot for Prometheus and serves its HTTP
// endpoints: /healthz (the process is alive), /readyz (Socket Mode is
// connected and the store responds) and /metrics.
//
// A Metrics value implements the observer interfaces of the bot, handlers
// and provision packages, the Core API client's WithObserver hook and the
// Slack client's rate-limit hook. Its collectors live on a registry of its
// own, never on Prometheus's global default, so that tests and several bots
// in one process each get their own. Every metric name starts with
// "paperspace_bot_". Label values come from the bot's code, except the
// envelope type and disconnect reason that Slack sends, which are mapped to
// a fixed set so that Slack cannot grow the number of series.
package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Namespace is the prefix of every metric name.
const Namespace = "paperspace_bot"

// labelOther replaces a label value that Slack sent and the bot does not
// know.
const labelOther = "other"

// envelopeTypes are the Socket Mode envelope types kept as label values.
var envelopeTypes = map[string]bool{"slash_commands": true, "interactive": true, "events_api": true}

// disconnectReasons are the Socket Mode disconnect reasons kept as label
// values.
var disconnectReasons = map[string]bool{
	"refresh_requested": true, "warning": true, "link_disabled": true, "too_many_websockets": true,
}

// Metrics holds the bot's collectors and the registry they are on. Its
// methods are safe for concurrent use.
type Metrics struct {
	registry *prometheus.Registry

	envelopes       *prometheus.CounterVec
	ackLatency      *prometheus.HistogramVec
	handlerErrors   *prometheus.CounterVec
	coreRequests    *prometheus.CounterVec
	coreDuration    *prometheus.HistogramVec
	machinesCreated prometheus.Counter
	reconciliations *prometheus.CounterVec
	decisions       *prometheus.CounterVec
	reconnects      prometheus.Counter
	disconnects     *prometheus.CounterVec
	rateLimitWaits  *prometheus.CounterVec
	rateLimitWait   *prometheus.CounterVec
}

// New returns Metrics on a new registry, which also carries the Go runtime
// and process collectors (go_* and process_* metrics).
func New() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		envelopes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "envelopes_received_total",
			Help:      "Socket Mode envelopes received, by envelope type and whether Slack delivered the envelope again.",
		}, []string{"type", "redelivered"}),
		ackLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "ack_latency_seconds",
			Help:      "Time from reading an envelope to writing its acknowledgement, by envelope type. Slack expects the acknowledgement within 3 seconds.",
			Buckets:   []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5},
		}, []string{"type"}),
		handlerErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "handler_errors_total",
			Help:      "Errors that the interaction handlers caught and logged, by kind (slack, core_api, store, authorization, decode, expired_trigger).",
		}, []string{"kind"}),
		coreRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "core_api_requests_total",
			Help:      "HTTP attempts to the Paperspace Core API, retries included, by endpoint, method and status class (2xx, 4xx, 5xx, or no_response when no response arrived).",
		}, []string{"endpoint", "method", "status_class"}),
		coreDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: Namespace,
			Name:      "core_api_request_duration_seconds",
			Help:      "Duration of one HTTP attempt to the Paperspace Core API, from sending the request to reading the whole response, by endpoint.",
			Buckets:   []float64{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"endpoint"}),
		machinesCreated: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "machines_created_total",
			Help:      "Machines that the Core API's create endpoint returned as created.",
		}),
		reconciliations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "reconciliations_total",
			Help:      "Look-ups of a machine after a create with an unknown outcome, by outcome (found, not_found, several, lookup_failed).",
		}, []string{"outcome"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "approvals_total",
			Help:      "Member requests decided, by decision (approved, denied, expired).",
		}, []string{"decision"}),
		reconnects: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "socket_mode_reconnects_total",
			Help:      "Socket Mode connections that Slack greeted with hello after the first one of the process.",
		}),
		disconnects: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "socket_mode_disconnects_total",
			Help:      "Disconnect messages that Slack sent on a Socket Mode connection, by reason.",
		}, []string{"reason"}),
		rateLimitWaits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "slack_rate_limit_waits_total",
			Help:      "Slack Web API calls that received HTTP 429 and were sent again after the Retry-After wait, by method.",
		}, []string{"method"}),
		rateLimitWait: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace,
			Name:      "slack_rate_limit_wait_seconds_total",
			Help:      "Total time spent waiting out Slack rate limits, by method.",
		}, []string{"method"}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.envelopes, m.ackLatency, m.handlerErrors, m.coreRequests, m.coreDuration,
		m.machinesCreated, m.reconciliations, m.decisions, m.reconnects, m.disconnects,
		m.rateLimitWaits, m.rateLimitWait,
	)
	return m
}

// Registry returns the registry that holds the bot's collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// EnvelopeReceived counts one Socket Mode envelope. It implements
// bot.Observer.
func (m *Metrics) EnvelopeReceived(envelopeType string, redelivered bool) {
	m.envelopes.WithLabelValues(knownOr(envelopeTypes, envelopeType), strconv.FormatBool(redelivered)).Inc()
}

// Acked records the time an envelope waited for its acknowledgement. It
// implements bot.Observer.
func (m *Metrics) Acked(envelopeType string, latency time.Duration) {
	m.ackLatency.WithLabelValues(knownOr(envelopeTypes, envelopeType)).Observe(latency.Seconds())
}

// Connected counts a reconnect when reconnect is true. It implements
// bot.Observer.
func (m *Metrics) Connected(reconnect bool) {
	if reconnect {
		m.reconnects.Inc()
	}
}

// Disconnected counts a disconnect message by reason. It implements
// bot.Observer.
func (m *Metrics) Disconnected(reason string) {
	m.disconnects.WithLabelValues(knownOr(disconnectReasons, reason)).Inc()
}

// HandlerError counts an error that a handler caught. It implements
// handlers.Observer.
func (m *Metrics) HandlerError(kind string) {
	m.handlerErrors.WithLabelValues(kind).Inc()
}

// Decision counts a decided member request. It implements
// handlers.Observer.
func (m *Metrics) Decision(decision string) {
	m.decisions.WithLabelValues(decision).Inc()
}

// MachineCreated counts a created machine. It implements
// provision.Observer.
func (m *Metrics) MachineCreated() {
	m.machinesCreated.Inc()
}

// Reconciled counts a reconciliation by outcome. It implements
// provision.Observer.
func (m *Metrics) Reconciled(outcome string) {
	m.reconciliations.WithLabelValues(outcome).Inc()
}

// CoreAPICall counts one HTTP attempt to the Core API and records its
// duration. Pass it to paperspace.WithObserver.
func (m *Metrics) CoreAPICall(call paperspace.Call) {
	m.coreRequests.WithLabelValues(call.Endpoint, call.Method, statusClass(call.StatusCode)).Inc()
	m.coreDuration.WithLabelValues(call.Endpoint).Observe(call.Duration.Seconds())
}

// RateLimited counts one wait for a Slack rate limit on a Web API method
// and adds its length. Pass it as slackapi.Options.OnRateLimited.
func (m *Metrics) RateLimited(method string, wait time.Duration) {
	m.rateLimitWaits.WithLabelValues(method).Inc()
	m.rateLimitWait.WithLabelValues(method).Add(wait.Seconds())
}

// statusClass returns "2xx", "4xx" and so on for an HTTP status, and
// "no_response" for 0.
func statusClass(code int) string {
	if code < 100 || code > 599 {
		return "no_response"
	}
	return strconv.Itoa(code/100) + "xx"
}

// knownOr returns value when known contains it, and labelOther otherwise.
func knownOr(known map[string]bool, value string) string {
	if known[value] {
		return value
	}
	return labelOther
}
