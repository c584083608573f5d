package metrics_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/metrics"
)

// get sends a request to h and returns the status and body.
func get(t *testing.T, h http.Handler, method, path string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return rec.Code, string(body)
}

func passing(context.Context) error { return nil }

func failing(msg string) func(context.Context) error {
	return func(context.Context) error { return errors.New(msg) }
}

// blocking waits for its context, like a store ping to a database that
// does not respond.
func blocking(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestHealthz(t *testing.T) {
	h := metrics.New().Handler(metrics.HandlerOptions{
		Checks: []metrics.ReadinessCheck{{Name: "socket mode", Check: failing("not connected")}},
	})
	tests := []struct {
		method     string
		wantStatus int
		wantBody   string
	}{
		{http.MethodGet, http.StatusOK, "ok\n"},
		{http.MethodHead, http.StatusOK, ""},
		{http.MethodPost, http.StatusMethodNotAllowed, "method not allowed: use GET\n"},
	}
	// A real server, because only it drops the body of a HEAD response.
	server := httptest.NewServer(h)
	defer server.Close()
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, server.URL+"/healthz", nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := server.Client().Do(req)
			if err != nil {
				t.Fatalf("%s /healthz: %v", tt.method, err)
			}
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatalf("read body: %v", err)
			}
			status, body := resp.StatusCode, string(data)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name       string
		checks     []metrics.ReadinessCheck
		wantStatus int
		wantBody   string
	}{
		{
			name:       "no checks",
			wantStatus: http.StatusOK,
			wantBody:   "ok\n",
		},
		{
			name: "all pass",
			checks: []metrics.ReadinessCheck{
				{Name: "socket mode", Check: passing},
				{Name: "store", Check: passing},
			},
			wantStatus: http.StatusOK,
			wantBody:   "ok\n",
		},
		{
			name: "socket mode down",
			checks: []metrics.ReadinessCheck{
				{Name: "socket mode", Check: failing("not connected to Slack")},
				{Name: "store", Check: passing},
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   "socket mode: not connected to Slack\n",
		},
		{
			name: "both down in check order",
			checks: []metrics.ReadinessCheck{
				{Name: "socket mode", Check: failing("not connected to Slack")},
				{Name: "store", Check: failing("ping postgres: connection refused")},
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   "socket mode: not connected to Slack\nstore: ping postgres: connection refused\n",
		},
		{
			name: "store does not respond",
			checks: []metrics.ReadinessCheck{
				{Name: "socket mode", Check: passing},
				{Name: "store", Check: blocking},
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   "store: timed out after 50ms\n",
		},
		{
			name: "reason on several lines",
			checks: []metrics.ReadinessCheck{
				{Name: "store", Check: failing("first\nsecond")},
			},
			wantStatus: http.StatusServiceUnavailable,
			wantBody:   "store: first second\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := metrics.New().Handler(metrics.HandlerOptions{Checks: tt.checks, CheckTimeout: 50 * time.Millisecond})
			status, body := get(t, h, http.MethodGet, "/readyz")
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if body != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
		})
	}
}

func TestReadyzIgnoredContext(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	h := metrics.New().Handler(metrics.HandlerOptions{
		Checks: []metrics.ReadinessCheck{{Name: "store", Check: func(context.Context) error {
			<-release
			return nil
		}}},
		CheckTimeout: 20 * time.Millisecond,
	})

	status, body := get(t, h, http.MethodGet, "/readyz")
	if status != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want %d", status, http.StatusServiceUnavailable)
	}
	if want := "store: timed out after 20ms\n"; body != want {
		t.Errorf("body = %q, want %q", body, want)
	}
}

func TestReadyzLogsChanges(t *testing.T) {
	var logs bytes.Buffer
	connected := false
	h := metrics.New().Handler(metrics.HandlerOptions{
		Checks: []metrics.ReadinessCheck{{Name: "socket mode", Check: func(context.Context) error {
			if !connected {
				return errors.New("not connected to Slack")
			}
			return nil
		}}},
		Log: zerolog.New(&logs),
	})

	get(t, h, http.MethodGet, "/readyz")
	get(t, h, http.MethodGet, "/readyz")
	connected = true
	get(t, h, http.MethodGet, "/readyz")
	get(t, h, http.MethodGet, "/readyz")

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("log lines = %d, want 2 (one per change):\n%s", len(lines), logs.String())
	}
	if !strings.Contains(lines[0], `"not ready"`) || !strings.Contains(lines[0], "socket mode: not connected to Slack") {
		t.Errorf("first line = %s, want not ready with the reason", lines[0])
	}
	if !strings.Contains(lines[1], `"ready: every readiness check passes"`) {
		t.Errorf("second line = %s, want ready", lines[1])
	}
}

func TestMetricsEndpoint(t *testing.T) {
	m := metrics.New()
	m.MachineCreated()
	m.EnvelopeReceived("slash_commands", false)
	h := m.Handler(metrics.HandlerOptions{})

	status, body := get(t, h, http.MethodGet, "/metrics")
	if status != http.StatusOK {
		t.Fatalf("status = %d, want 200; body:\n%s", status, body)
	}
	for _, want := range []string{
		"paperspace_bot_machines_created_total 1",
		`paperspace_bot_envelopes_received_total{redelivered="false",type="slash_commands"} 1`,
		"# HELP paperspace_bot_machines_created_total",
		"go_goroutines ",
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics has no line with %q", want)
		}
	}
}

func TestUnknownPath(t *testing.T) {
	h := metrics.New().Handler(metrics.HandlerOptions{})
	for _, path := range []string{"/", "/health", "/metrics/extra"} {
		t.Run(path, func(t *testing.T) {
			if status, _ := get(t, h, http.MethodGet, path); status != http.StatusNotFound {
				t.Errorf("GET %s status = %d, want 404", path, status)
			}
		})
	}
}
