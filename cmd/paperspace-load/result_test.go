package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

var start = time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)

func ms(n int) time.Time { return start.Add(time.Duration(n) * time.Millisecond) }

// slashOp returns a completed slash operation sent at sent, acked at ack
// and handled (views.open) at open; a negative time leaves the step out.
func slashOp(sent, ack, open int) *operation {
	op := newOperation(0, scenarioSlash, true)
	rec := &envelopeRecord{id: "e", kind: kindSlashCommand, op: op, sentAt: ms(sent)}
	op.envelopes = []*envelopeRecord{rec}
	if ack >= 0 {
		rec.acks, rec.firstAckAt = 1, ms(ack)
	}
	if open >= 0 {
		op.viewOpens, op.viewOpenAt = 1, ms(open)
	}
	if ack >= 0 && open >= 0 {
		op.completeClosed, op.completedAt = true, maxTime(ms(ack), ms(open))
	}
	return op
}

func TestNewResult(t *testing.T) {
	late := slashOp(10, 3500, 3600)
	failed := slashOp(20, -1, -1)
	unhandled := slashOp(30, 31, -1)
	ops := []*operation{slashOp(0, 2, 5), slashOp(0, 4, 9), late, failed, unhandled}
	res := newResult(1, config{scenario: scenarioSlash, inFlight: 2}, ops)

	checks := []struct {
		name      string
		got, want any
	}{
		{"Completed", res.Completed, 3},
		{"NeverAcked", res.NeverAcked, 1},
		{"NotAckedWithin3s", res.NotAckedWithin3s, 2},
		{"NotHandled", res.NotHandled, 2},
		{"Lost", res.Lost, 2},
		{"Ack.Count", res.Ack.Count, 4},
		{"Ack.Max", res.Ack.Max, 3490 * time.Millisecond},
		{"ViewsOpen.Count", res.ViewsOpen.Count, 3},
		{"ViewsOpen.P50", res.ViewsOpen.P50, 9 * time.Millisecond},
		{"Elapsed", res.Elapsed, 3600 * time.Millisecond},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if want := 3 / 3.6; math.Abs(res.Throughput-want) > 1e-9 {
		t.Errorf("Throughput = %v, want %v", res.Throughput, want)
	}
}

func TestNewResultSendFailure(t *testing.T) {
	op := newOperation(0, scenarioSearch, true)
	op.envelopes = []*envelopeRecord{{id: "e", kind: kindBlockSuggestion, op: op, sendFailed: true}}
	res := newResult(1, config{scenario: scenarioSearch}, []*operation{op})
	if res.SendFailures != 1 || res.Lost != 1 || res.Ack.Count != 0 {
		t.Errorf("SendFailures %d, Lost %d, Ack.Count %d; want 1, 1, 0", res.SendFailures, res.Lost, res.Ack.Count)
	}
}

func TestValidSuggestion(t *testing.T) {
	tests := []struct {
		name    string
		payload string
		ackErr  string
		want    bool
	}{
		{"options", `{"options":[{"text":{"type":"plain_text","text":"a"},"value":"a"}]}`, "", true},
		{"empty options", `{"options":[]}`, "", true},
		{"rejected by the fake", `{"options":[]}`, "invalid options", false},
		{"no options", `{}`, "", false},
		{"empty ack", ``, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &envelopeRecord{ackPayload: json.RawMessage(tt.payload), ackError: tt.ackErr}
			if got := validSuggestion(rec); got != tt.want {
				t.Errorf("validSuggestion = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRefreshFigures(t *testing.T) {
	history := []fakeslack.ConnectionSpan{
		{ID: 1, Opened: ms(-100), Closed: ms(520)},
		{ID: 2, Opened: ms(560)},
	}
	got := refreshFigures(history, ms(500), ms(0), ms(1000))
	want := &refreshResult{InjectedAfter: 500 * time.Millisecond, ConnectionsOpened: 1, MaxGap: 40 * time.Millisecond}
	if *got != *want {
		t.Errorf("refreshFigures = %+v, want %+v", *got, *want)
	}
}

func TestRedeliverFigures(t *testing.T) {
	twice := slashOp(0, 1, 2)
	twice.viewOpens = 2
	twice.envelopes[0].redelivered = true
	unacked := slashOp(0, -1, -1)
	unacked.envelopes[0].redelivered = true
	got := redeliverFigures([]*operation{twice, unacked, slashOp(0, 1, 2)}, 3, 1)
	want := &redeliverResult{Redelivered: 2, NeverAcked: 1, DuplicateViewOpens: 1, DuplicateCreates: 3, DuplicateRequests: 1, ActedOnTwice: 5}
	if *got != *want {
		t.Errorf("redeliverFigures = %+v, want %+v", *got, *want)
	}
}

func TestDescribeLost(t *testing.T) {
	lost := slashOp(600, -1, -1)
	lost.envelopes[0].id = "env-lost"
	unhandled := slashOp(700, 701, -1)
	unhandled.envelopes[0].id = "env-unhandled"
	lines := describeLost([]*operation{slashOp(0, 1, 2), lost, unhandled}, ms(500))
	if len(lines) != 2 {
		t.Fatalf("describeLost = %q, want 2 lines", lines)
	}
	if !strings.Contains(lines[0], "never acked: envelope env-lost") || !strings.Contains(lines[0], "100ms after the refresh_requested") {
		t.Errorf("line 1 = %q, want env-lost never acked, 100ms after the refresh", lines[0])
	}
	if !strings.Contains(lines[1], "acked but never handled: envelope env-unhandled") {
		t.Errorf("line 2 = %q, want env-unhandled never handled", lines[1])
	}
}

func TestCountLogLevels(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.log")
	log := strings.Join([]string{
		`{"level":"info","message":"starting"}`,
		`{"level":"warn","message":"slow"}`,
		`{"level":"warn","message":"slow"}`,
		`{"level":"error","message":"broken"}`,
		`not JSON`,
	}, "\n") + "\n"
	if err := os.WriteFile(path, []byte(log), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := countLogLevels(path)
	if err != nil {
		t.Fatalf("countLogLevels: %v", err)
	}
	if got.Lines != 5 || got.Warnings != 2 || got.Errors != 1 {
		t.Errorf("counts = %+v, want 5 lines, 2 warnings, 1 error", got)
	}
	wantTop := []messageCount{{Level: "warn", Message: "slow", Count: 2}, {Level: "error", Message: "broken", Count: 1}}
	if len(got.Top) != len(wantTop) || got.Top[0] != wantTop[0] || got.Top[1] != wantTop[1] {
		t.Errorf("Top = %+v, want %+v", got.Top, wantTop)
	}
	if _, err := countLogLevels(filepath.Join(t.TempDir(), "missing.log")); err == nil {
		t.Errorf("countLogLevels of a missing file: nil error, want one")
	}
}
