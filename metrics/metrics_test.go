package metrics_test

import (
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/handlers"
	"github.com/paperspace-bot/paperspace-bot/metrics"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/provision"
)

// Metrics must satisfy every observer it is wired to.
var (
	_ bot.Observer       = (*metrics.Metrics)(nil)
	_ handlers.Observer  = (*metrics.Metrics)(nil)
	_ provision.Observer = (*metrics.Metrics)(nil)
)

// sample is one series of a gathered metric: its labels as "k=v,k=v"
// (sorted), and its value (the sample count for a histogram).
type sample struct {
	labels string
	value  float64
}

// gather returns the series of the metric family name.
func gather(t *testing.T, reg prometheus.Gatherer, name string) []sample {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var out []sample
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
		for _, m := range family.GetMetric() {
			out = append(out, sample{labels: labelString(m.GetLabel()), value: metricValue(m)})
		}
	}
	return out
}

func labelString(pairs []*dto.LabelPair) string {
	var parts []string
	for _, p := range pairs {
		parts = append(parts, p.GetName()+"="+p.GetValue())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func metricValue(m *dto.Metric) float64 {
	switch {
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetHistogram() != nil:
		return float64(m.GetHistogram().GetSampleCount())
	}
	return 0
}

func TestObserverMethods(t *testing.T) {
	tests := []struct {
		name    string
		observe func(m *metrics.Metrics)
		metric  string
		want    []sample
	}{
		{
			name: "envelope new and redelivered",
			observe: func(m *metrics.Metrics) {
				m.EnvelopeReceived("slash_commands", false)
				m.EnvelopeReceived("slash_commands", true)
				m.EnvelopeReceived("interactive", false)
			},
			metric: "paperspace_bot_envelopes_received_total",
			want: []sample{
				{"redelivered=false,type=interactive", 1},
				{"redelivered=false,type=slash_commands", 1},
				{"redelivered=true,type=slash_commands", 1},
			},
		},
		{
			name:    "envelope type unknown to the bot",
			observe: func(m *metrics.Metrics) { m.EnvelopeReceived("brand_new_type", false) },
			metric:  "paperspace_bot_envelopes_received_total",
			want:    []sample{{"redelivered=false,type=other", 1}},
		},
		{
			name: "ack latency",
			observe: func(m *metrics.Metrics) {
				m.Acked("interactive", 3*time.Millisecond)
				m.Acked("interactive", 40*time.Millisecond)
			},
			metric: "paperspace_bot_ack_latency_seconds",
			want:   []sample{{"type=interactive", 2}},
		},
		{
			name: "reconnects only",
			observe: func(m *metrics.Metrics) {
				m.Connected(false)
				m.Connected(true)
				m.Connected(true)
			},
			metric: "paperspace_bot_socket_mode_reconnects_total",
			want:   []sample{{"", 2}},
		},
		{
			name: "disconnect reasons",
			observe: func(m *metrics.Metrics) {
				m.Disconnected("refresh_requested")
				m.Disconnected("something_new")
			},
			metric: "paperspace_bot_socket_mode_disconnects_total",
			want:   []sample{{"reason=other", 1}, {"reason=refresh_requested", 1}},
		},
		{
			name: "handler errors",
			observe: func(m *metrics.Metrics) {
				m.HandlerError("slack")
				m.HandlerError("slack")
				m.HandlerError("store")
			},
			metric: "paperspace_bot_handler_errors_total",
			want:   []sample{{"kind=slack", 2}, {"kind=store", 1}},
		},
		{
			name: "decisions",
			observe: func(m *metrics.Metrics) {
				m.Decision("approved")
				m.Decision("denied")
			},
			metric: "paperspace_bot_approvals_total",
			want:   []sample{{"decision=approved", 1}, {"decision=denied", 1}},
		},
		{
			name:    "machines created",
			observe: func(m *metrics.Metrics) { m.MachineCreated() },
			metric:  "paperspace_bot_machines_created_total",
			want:    []sample{{"", 1}},
		},
		{
			name:    "reconciliations",
			observe: func(m *metrics.Metrics) { m.Reconciled(provision.OutcomeFound) },
			metric:  "paperspace_bot_reconciliations_total",
			want:    []sample{{"outcome=found", 1}},
		},
		{
			name: "core API status classes",
			observe: func(m *metrics.Metrics) {
				m.CoreAPICall(paperspace.Call{Method: "GET", Endpoint: "/templates/getTemplates", StatusCode: 200, Duration: time.Millisecond})
				m.CoreAPICall(paperspace.Call{Method: "GET", Endpoint: "/templates/getTemplates", StatusCode: 503, Duration: time.Millisecond})
				m.CoreAPICall(paperspace.Call{Method: "POST", Endpoint: "/machines/createSingleMachinePublic", StatusCode: 0, Err: errors.New("connection reset")})
				m.CoreAPICall(paperspace.Call{Method: "POST", Endpoint: "/machines/createSingleMachinePublic", StatusCode: 400})
			},
			metric: "paperspace_bot_core_api_requests_total",
			want: []sample{
				{"endpoint=/machines/createSingleMachinePublic,method=POST,status_class=4xx", 1},
				{"endpoint=/machines/createSingleMachinePublic,method=POST,status_class=no_response", 1},
				{"endpoint=/templates/getTemplates,method=GET,status_class=2xx", 1},
				{"endpoint=/templates/getTemplates,method=GET,status_class=5xx", 1},
			},
		},
		{
			name: "core API durations",
			observe: func(m *metrics.Metrics) {
				m.CoreAPICall(paperspace.Call{Method: "GET", Endpoint: "/machines/getMachines", StatusCode: 200, Duration: 120 * time.Millisecond})
				m.CoreAPICall(paperspace.Call{Method: "GET", Endpoint: "/machines/getMachines", StatusCode: 200, Duration: 80 * time.Millisecond})
			},
			metric: "paperspace_bot_core_api_request_duration_seconds",
			want:   []sample{{"endpoint=/machines/getMachines", 2}},
		},
		{
			name: "rate limit waits",
			observe: func(m *metrics.Metrics) {
				m.RateLimited("chat.postMessage", 2*time.Second)
				m.RateLimited("chat.postMessage", 500*time.Millisecond)
			},
			metric: "paperspace_bot_slack_rate_limit_waits_total",
			want:   []sample{{"method=chat.postMessage", 2}},
		},
		{
			name: "rate limit wait seconds",
			observe: func(m *metrics.Metrics) {
				m.RateLimited("chat.postMessage", 2*time.Second)
				m.RateLimited("chat.postMessage", 500*time.Millisecond)
			},
			metric: "paperspace_bot_slack_rate_limit_wait_seconds_total",
			want:   []sample{{"method=chat.postMessage", 2.5}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := metrics.New()
			tt.observe(m)
			got := gather(t, m.Registry(), tt.metric)
			if len(got) != len(tt.want) {
				t.Fatalf("%s series = %v, want %v", tt.metric, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("%s series %d = %v, want %v", tt.metric, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAckLatencyBuckets(t *testing.T) {
	m := metrics.New()
	m.Acked("slash_commands", 4*time.Millisecond)
	m.Acked("slash_commands", 2500*time.Millisecond)

	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	counts := map[float64]uint64{}
	for _, family := range families {
		if family.GetName() != "paperspace_bot_ack_latency_seconds" {
			continue
		}
		for _, b := range family.GetMetric()[0].GetHistogram().GetBucket() {
			counts[b.GetUpperBound()] = b.GetCumulativeCount()
		}
	}
	tests := []struct {
		upperBound float64
		want       uint64
	}{
		{0.0025, 0},
		{0.005, 1},
		{2, 1},
		{3, 2},
	}
	for _, tt := range tests {
		if got := counts[tt.upperBound]; got != tt.want {
			t.Errorf("bucket le=%g count = %d, want %d", tt.upperBound, got, tt.want)
		}
	}
}

func TestRegistriesIndependent(t *testing.T) {
	first, second := metrics.New(), metrics.New()
	first.MachineCreated()

	if got := gather(t, first.Registry(), "paperspace_bot_machines_created_total"); len(got) != 1 || got[0].value != 1 {
		t.Errorf("first registry machines_created = %v, want 1", got)
	}
	if got := gather(t, second.Registry(), "paperspace_bot_machines_created_total"); len(got) != 1 || got[0].value != 0 {
		t.Errorf("second registry machines_created = %v, want 0", got)
	}
	if got := gather(t, prometheus.DefaultGatherer, "paperspace_bot_machines_created_total"); len(got) != 0 {
		t.Errorf("default registry has paperspace_bot metrics: %v", got)
	}
}

func TestMetricNamesPrefixed(t *testing.T) {
	m := metrics.New()
	// A vector appears in the output only once it has a series.
	m.EnvelopeReceived("interactive", false)
	m.Acked("interactive", time.Millisecond)
	m.Connected(true)
	m.Disconnected("warning")
	m.HandlerError("slack")
	m.Decision("denied")
	m.MachineCreated()
	m.Reconciled(provision.OutcomeNotFound)
	m.CoreAPICall(paperspace.Call{Method: "GET", Endpoint: "/machines/getMachines", StatusCode: 200})
	m.RateLimited("chat.update", time.Second)

	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	if len(families) < 12 {
		t.Errorf("gathered %d metric families, want at least the 12 of the bot", len(families))
	}
	for _, family := range families {
		name := family.GetName()
		if strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") {
			continue
		}
		if !strings.HasPrefix(name, metrics.Namespace+"_") {
			t.Errorf("metric %s lacks the %s_ prefix", name, metrics.Namespace)
		}
	}
}
