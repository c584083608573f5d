package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// ackDeadline is how long Slack waits for an ack before it shows the user
// an error.
const ackDeadline = 3 * time.Second

// runResult is the figures of the measured operations of one run.
type runResult struct {
	Run        int    `json:"run"`
	Scenario   string `json:"scenario"`
	Operations int    `json:"operations"`
	InFlight   int    `json:"in_flight"`
	// Completed counts the operations that completed, late ones included.
	Completed int `json:"completed"`
	// Elapsed runs from the first envelope sent to the last operation
	// completed.
	Elapsed    time.Duration `json:"elapsed_ns"`
	Throughput float64       `json:"throughput_per_second"`

	// Ack is envelope sent to ack read by the fake, for the first delivery
	// of every envelope.
	Ack latencySummary `json:"ack"`
	// ViewsOpen is slash command sent to views.open received by the fake.
	ViewsOpen latencySummary `json:"views_open"`
	// FormFilled is slash command sent to the views.update that fills the
	// form.
	FormFilled latencySummary `json:"form_filled"`
	// SubmissionAck is the Ack of view submissions alone.
	SubmissionAck latencySummary `json:"submission_ack"`
	// SubmissionCreate is view submission sent to the create call
	// received by the fake Core API.
	SubmissionCreate latencySummary `json:"submission_create"`

	// NotAckedWithin3s counts envelopes acked more than 3 s after they
	// were sent, or never.
	NotAckedWithin3s int `json:"not_acked_within_3s"`
	NeverAcked       int `json:"never_acked"`
	// NotHandled counts slash commands for which views.open never came.
	NotHandled int `json:"not_handled"`
	// Lost counts operations with an envelope never acked or a slash
	// command never handled.
	Lost             int `json:"lost"`
	SendFailures     int `json:"send_failures"`
	SendRetries      int `json:"send_retries"`
	ViewsOpenErrors  int `json:"views_open_errors"`
	SuggestionErrors int `json:"suggestion_errors"`
	// CreatesMissing counts submitted forms for which no create call came.
	CreatesMissing int `json:"creates_missing,omitempty"`

	PeakRSS int64 `json:"peak_rss_bytes"`
	EndRSS  int64 `json:"end_rss_bytes"`
	// EndAnonRSS and EndFileRSS split EndRSS into anonymous memory and
	// mapped files.
	EndAnonRSS int64         `json:"end_anon_rss_bytes"`
	EndFileRSS int64         `json:"end_file_rss_bytes"`
	BotCPU     time.Duration `json:"bot_cpu_ns"`
	DriverCPU  time.Duration `json:"driver_cpu_ns"`
	// OtherCPU is the CPU time that other processes on the host used
	// during the measured phase: a sign of a noisy measurement.
	OtherCPU    time.Duration `json:"other_cpu_ns"`
	BotExitCode int           `json:"bot_exit_code"`

	Refresh   *refreshResult   `json:"refresh,omitempty"`
	Redeliver *redeliverResult `json:"redeliver,omitempty"`
	BotLog    logCounts        `json:"bot_log"`
	// Problems lists what went wrong in the measurement itself.
	Problems []string `json:"problems,omitempty"`

	firstSent         time.Time
	duplicateCreates  int
	duplicateRequests int
}

// refreshResult is the cost of a refresh_requested disconnect.
type refreshResult struct {
	// InjectedAfter is when the disconnect went out, from the first
	// envelope sent.
	InjectedAfter time.Duration `json:"injected_after_ns"`
	// ConnectionsOpened counts connections opened after the first
	// envelope was sent.
	ConnectionsOpened int `json:"connections_opened"`
	// MaxGap is the longest time without an open connection between the
	// first envelope sent and the end of the measured phase.
	MaxGap time.Duration `json:"max_gap_ns"`
}

// redeliverResult is the outcome of redelivered envelopes.
type redeliverResult struct {
	Redelivered int `json:"redelivered"`
	// NeverAcked counts redelivered envelopes acked neither before nor
	// after the redelivery.
	NeverAcked int `json:"never_acked"`
	// DuplicateViewOpens counts views.open calls beyond the first for one
	// trigger id.
	DuplicateViewOpens int `json:"duplicate_views_open"`
	// DuplicateCreates counts create calls beyond the first for one
	// submitted form.
	DuplicateCreates int `json:"duplicate_creates"`
	// DuplicateRequests counts stored requests beyond the first for one
	// submitted form.
	DuplicateRequests int `json:"duplicate_requests"`
	// ActedOnTwice is the sum of the duplicates.
	ActedOnTwice int `json:"acted_on_twice"`
}

// newResult computes the figures that the operations' records give.
func newResult(run int, cfg config, ops []*operation) *runResult {
	res := &runResult{Run: run, Scenario: cfg.scenario, Operations: len(ops), InFlight: cfg.inFlight}
	var acks, submissionAcks, viewOpens, forms []time.Duration
	var lastDone time.Time
	for _, op := range ops {
		lost := false
		for _, rec := range op.envelopes {
			if rec.sendFailed {
				res.SendFailures++
				lost = true
				continue
			}
			res.firstSent = minTime(res.firstSent, rec.sentAt)
			if rec.acks == 0 {
				res.NeverAcked++
				res.NotAckedWithin3s++
				lost = true
				continue
			}
			latency := rec.firstAckAt.Sub(rec.sentAt)
			acks = append(acks, latency)
			if latency > ackDeadline {
				res.NotAckedWithin3s++
			}
			switch rec.kind {
			case kindViewSubmission:
				submissionAcks = append(submissionAcks, latency)
			case kindBlockSuggestion:
				if !validSuggestion(rec) {
					res.SuggestionErrors++
				}
			}
		}
		if op.scenario != scenarioSearch && len(op.envelopes) > 0 && !op.envelopes[0].sendFailed {
			sent := op.envelopes[0].sentAt
			switch {
			case op.viewOpens == 0:
				res.NotHandled++
				lost = true
			default:
				viewOpens = append(viewOpens, op.viewOpenAt.Sub(sent))
				if op.viewOpenError != "" {
					res.ViewsOpenErrors++
				}
			}
			if !op.formFilledAt.IsZero() {
				forms = append(forms, op.formFilledAt.Sub(sent))
			}
		}
		if lost {
			res.Lost++
		}
		if op.completeClosed {
			res.Completed++
			lastDone = maxTime(lastDone, op.completedAt)
		}
	}

	res.Ack = summarize(acks)
	res.SubmissionAck = summarize(submissionAcks)
	res.ViewsOpen = summarize(viewOpens)
	res.FormFilled = summarize(forms)
	if !res.firstSent.IsZero() && lastDone.After(res.firstSent) {
		res.Elapsed = lastDone.Sub(res.firstSent)
		res.Throughput = float64(res.Completed) / res.Elapsed.Seconds()
	}
	return res
}

// validSuggestion reports whether a block_suggestion's ack was accepted by
// the fake Slack and carried an options list.
func validSuggestion(rec *envelopeRecord) bool {
	if rec.ackError != "" {
		return false
	}
	var body struct {
		Options *[]json.RawMessage `json:"options"`
	}
	if err := json.Unmarshal(rec.ackPayload, &body); err != nil {
		return false
	}
	return body.Options != nil
}

// addSubmitFigures adds what the submissions led to: the create calls the
// fake Core API received and the requests the bot stored in its SQLite
// file at dbPath, which the stopped bot no longer uses.
func (res *runResult) addSubmitFigures(ctx context.Context, ops []*operation, core *fakecoreapi.Server, dbPath string) error {
	submittedAt := map[string]time.Time{}
	for _, op := range ops {
		if len(op.envelopes) > 1 && !op.envelopes[1].sendFailed && op.envelopes[1].acks > 0 {
			submittedAt[op.machineName] = op.envelopes[1].sentAt
		}
	}

	creates := map[string]int{}
	var latencies []time.Duration
	for _, req := range core.RequestsTo(fakecoreapi.PathCreateMachine) {
		var body struct {
			MachineName string `json:"machineName"`
		}
		if err := json.Unmarshal(req.Body, &body); err != nil {
			continue
		}
		sent, ok := submittedAt[body.MachineName]
		if !ok {
			continue
		}
		creates[body.MachineName]++
		if creates[body.MachineName] == 1 {
			latencies = append(latencies, req.At.Sub(sent))
		}
	}
	res.SubmissionCreate = summarize(latencies)
	for name := range submittedAt {
		switch n := creates[name]; {
		case n == 0:
			res.CreatesMissing++
		case n > 1:
			res.duplicateCreates += n - 1
		}
	}

	db, err := store.Open(ctx, dbPath)
	if err != nil {
		return fmt.Errorf("read the bot's requests: %w", err)
	}
	defer db.Close()
	requests, err := db.ListRequests(ctx, store.Filter{})
	if err != nil {
		return fmt.Errorf("read the bot's requests: %w", err)
	}
	stored := map[string]int{}
	for _, r := range requests {
		stored[r.Spec.Name]++
	}
	for name := range submittedAt {
		if n := stored[name]; n > 1 {
			res.duplicateRequests += n - 1
		}
	}
	return nil
}

// refreshFigures computes the connection figures of a run in which a
// refresh_requested disconnect went out at injectedAt.
func refreshFigures(history []fakeslack.ConnectionSpan, injectedAt, from, to time.Time) *refreshResult {
	res := &refreshResult{}
	if !injectedAt.IsZero() && !from.IsZero() {
		res.InjectedAfter = injectedAt.Sub(from)
	}
	spans := make([]span, 0, len(history))
	for _, h := range history {
		spans = append(spans, span{start: h.Opened, end: h.Closed})
		if !h.Opened.Before(from) {
			res.ConnectionsOpened++
		}
	}
	if !from.IsZero() {
		res.MaxGap = maxGapWithout(spans, from, to)
	}
	return res
}

// redeliverFigures counts the redelivered envelopes and everything the
// bot did twice.
func redeliverFigures(ops []*operation, duplicateCreates, duplicateRequests int) *redeliverResult {
	res := &redeliverResult{DuplicateCreates: duplicateCreates, DuplicateRequests: duplicateRequests}
	for _, op := range ops {
		if op.viewOpens > 1 {
			res.DuplicateViewOpens += op.viewOpens - 1
		}
		for _, rec := range op.envelopes {
			if !rec.redelivered {
				continue
			}
			res.Redelivered++
			if rec.acks == 0 {
				res.NeverAcked++
			}
		}
	}
	res.ActedOnTwice = res.DuplicateViewOpens + res.DuplicateCreates + res.DuplicateRequests
	return res
}

// logCounts counts the bot's log lines by level, with the most frequent
// warning and error messages.
type logCounts struct {
	Lines    int            `json:"lines"`
	Warnings int            `json:"warnings"`
	Errors   int            `json:"errors"`
	Top      []messageCount `json:"top,omitempty"`
}

type messageCount struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Count   int    `json:"count"`
}

// maxTopMessages bounds logCounts.Top.
const maxTopMessages = 5

// countLogLevels reads the bot's JSON log at path. Lines that are not JSON
// count as lines only.
func countLogLevels(path string) (logCounts, error) {
	file, err := os.Open(path)
	if err != nil {
		return logCounts{}, fmt.Errorf("read bot log: %w", err)
	}
	defer file.Close()

	var counts logCounts
	messages := map[messageCount]int{}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for scanner.Scan() {
		counts.Lines++
		var line struct {
			Level   string `json:"level"`
			Message string `json:"message"`
		}
		if json.Unmarshal(scanner.Bytes(), &line) != nil {
			continue
		}
		switch line.Level {
		case "warn":
			counts.Warnings++
		case "error", "fatal", "panic":
			counts.Errors++
		default:
			continue
		}
		messages[messageCount{Level: line.Level, Message: line.Message}]++
	}
	if err := scanner.Err(); err != nil {
		return counts, fmt.Errorf("read bot log: %w", err)
	}

	for key, n := range messages {
		key.Count = n
		counts.Top = append(counts.Top, key)
	}
	sort.Slice(counts.Top, func(i, j int) bool {
		if counts.Top[i].Count != counts.Top[j].Count {
			return counts.Top[i].Count > counts.Top[j].Count
		}
		return counts.Top[i].Message < counts.Top[j].Message
	})
	if len(counts.Top) > maxTopMessages {
		counts.Top = counts.Top[:maxTopMessages]
	}
	return counts, nil
}

// maxLostDescribed bounds how many lost envelopes describeLost lists.
const maxLostDescribed = 5

// describeLost lists the first envelopes that were never acked, and the
// slash commands never handled, with their send times, relative to the
// refresh_requested disconnect when there was one.
func describeLost(ops []*operation, refreshAt time.Time) []string {
	var lines []string
	describe := func(what string, rec *envelopeRecord) {
		if len(lines) == maxLostDescribed {
			return
		}
		line := fmt.Sprintf("%s: envelope %s (%s) sent at %s", what, rec.id, rec.kind, rec.sentAt.UTC().Format("15:04:05.000000"))
		if !refreshAt.IsZero() {
			line += fmt.Sprintf(", %s after the refresh_requested disconnect", rec.sentAt.Sub(refreshAt))
		}
		lines = append(lines, line)
	}
	for _, op := range ops {
		for _, rec := range op.envelopes {
			if !rec.sendFailed && rec.acks == 0 {
				describe("never acked", rec)
			}
		}
		if op.scenario != scenarioSearch && len(op.envelopes) > 0 && op.viewOpens == 0 && op.envelopes[0].acks > 0 {
			describe("acked but never handled", op.envelopes[0])
		}
	}
	return lines
}
