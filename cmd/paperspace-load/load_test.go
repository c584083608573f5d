package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce   sync.Once
	builtBinary string
	buildErr    error
)

// botBinary builds the bot once for all tests in this package.
func botBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the bot; skipped with -short")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "paperspace-load-test-")
		if err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		builtBinary, buildErr = buildBot(ctx, dir, false)
	})
	if buildErr != nil {
		t.Fatalf("build the bot: %v", buildErr)
	}
	return builtBinary
}

func TestMain(m *testing.M) {
	code := m.Run()
	if builtBinary != "" {
		os.RemoveAll(filepath.Dir(builtBinary))
	}
	os.Exit(code)
}

// runDriver runs the command with args against the built bot and returns
// its JSON report.
func runDriver(t *testing.T, args ...string) jsonReport {
	t.Helper()
	jsonPath := filepath.Join(t.TempDir(), "report.json")
	args = append(args, "-bin", botBinary(t), "-json", jsonPath)
	var stdout, stderr strings.Builder
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("run %q = %d, want 0\nstdout:\n%s\nstderr:\n%s", args, code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "ack p99") {
		t.Errorf("report has no ack p99 row:\n%s", stdout.String())
	}
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatalf("read JSON report: %v", err)
	}
	var report jsonReport
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatalf("decode JSON report: %v", err)
	}
	if len(report.Runs) != 1 {
		t.Fatalf("report has %d runs, want 1", len(report.Runs))
	}
	return report
}

func TestLoadScenarios(t *testing.T) {
	const n = 40
	tests := []struct {
		scenario string
		extra    []string
		check    func(t *testing.T, r *runResult)
	}{
		{
			scenario: scenarioSlash,
			check: func(t *testing.T, r *runResult) {
				if r.ViewsOpen.Count != n {
					t.Errorf("views.open latencies = %d, want %d", r.ViewsOpen.Count, n)
				}
				if r.FormFilled.Count != n {
					t.Errorf("forms filled = %d, want %d", r.FormFilled.Count, n)
				}
			},
		},
		{
			scenario: scenarioSubmit,
			check: func(t *testing.T, r *runResult) {
				if r.SubmissionAck.Count != n {
					t.Errorf("submission acks = %d, want %d", r.SubmissionAck.Count, n)
				}
				if r.SubmissionCreate.Count != n || r.CreatesMissing != 0 {
					t.Errorf("create calls = %d with %d missing, want %d and 0", r.SubmissionCreate.Count, r.CreatesMissing, n)
				}
			},
		},
		{
			scenario: scenarioSearch,
			extra:    []string{"-templates", "500"},
			check: func(t *testing.T, r *runResult) {
				if r.SuggestionErrors != 0 {
					t.Errorf("suggestion errors = %d, want 0", r.SuggestionErrors)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			args := append([]string{"-n", strconv.Itoa(n), "-c", "4", "-warmup", "2", "-scenario", tt.scenario}, tt.extra...)
			r := runDriver(t, args...).Runs[0]
			if r.Completed != n || r.Lost != 0 || r.NeverAcked != 0 {
				t.Errorf("completed %d, lost %d, never acked %d; want %d, 0, 0", r.Completed, r.Lost, r.NeverAcked, n)
			}
			if r.Throughput <= 0 || r.Ack.Count < n || r.PeakRSS <= 0 || r.BotCPU <= 0 {
				t.Errorf("throughput %v, acks %d, peak RSS %d, bot CPU %v; want all positive, acks at least %d",
					r.Throughput, r.Ack.Count, r.PeakRSS, r.BotCPU, n)
			}
			if r.BotExitCode != 0 {
				t.Errorf("bot exit code = %d, want 0 (problems: %q)", r.BotExitCode, r.Problems)
			}
			tt.check(t, r)
		})
	}
}

func TestLoadRedeliverAndRefresh(t *testing.T) {
	const n = 60
	r := runDriver(t, "-n", strconv.Itoa(n), "-c", "6", "-redeliver", "-refresh").Runs[0]
	if r.Redeliver == nil || r.Refresh == nil {
		t.Fatalf("report has redeliver %v and refresh %v, want both", r.Redeliver, r.Refresh)
	}
	if r.Redeliver.Redelivered != n/10 {
		t.Errorf("redelivered = %d, want %d", r.Redeliver.Redelivered, n/10)
	}
	if r.Redeliver.ActedOnTwice != 0 {
		t.Errorf("acted on twice = %d, want 0", r.Redeliver.ActedOnTwice)
	}
	if r.Refresh.ConnectionsOpened < 1 {
		t.Errorf("connections opened after the start = %d, want the replacement", r.Refresh.ConnectionsOpened)
	}
	if r.Refresh.InjectedAfter <= 0 {
		t.Errorf("refresh injected after %v, want a time into the run", r.Refresh.InjectedAfter)
	}
	// The bot may lose envelopes around a refresh; the driver must count
	// every operation either way.
	if r.Completed+r.Lost < n {
		t.Errorf("completed %d + lost %d < %d operations", r.Completed, r.Lost, n)
	}
}
