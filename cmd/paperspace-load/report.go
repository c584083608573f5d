package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// figure is one row of the report: a value of each run, their median, and
// the target when the issue sets one.
type figure struct {
	name string
	// value returns the figure of one run, and false when the run does
	// not have it.
	value func(*runResult) (float64, bool)
	// format prints a value.
	format func(float64) string
	// target describes the target, such as "≤ 10 ms"; empty for none.
	target string
	// met reports whether a median meets the target.
	met func(float64) bool
}

func milliseconds(v float64) string { return fmt.Sprintf("%.2f ms", v) }
func count(v float64) string        { return fmt.Sprintf("%.0f", v) }
func mebibytes(v float64) string    { return fmt.Sprintf("%.1f MiB", v) }
func seconds(v float64) string      { return fmt.Sprintf("%.2f s", v) }
func perSecond(v float64) string    { return fmt.Sprintf("%.0f /s", v) }

func atMost(limit float64) func(float64) bool  { return func(v float64) bool { return v <= limit } }
func atLeast(limit float64) func(float64) bool { return func(v float64) bool { return v >= limit } }

func durationMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// latencyFigures returns the p50, p90, p99 and max rows of one latency.
func latencyFigures(name string, get func(*runResult) latencySummary, p99Target string, p99Limit time.Duration) []figure {
	row := func(label string, pick func(latencySummary) time.Duration) figure {
		return figure{
			name: name + " " + label,
			value: func(r *runResult) (float64, bool) {
				s := get(r)
				return durationMS(pick(s)), s.Count > 0
			},
			format: milliseconds,
		}
	}
	p99 := row("p99", func(s latencySummary) time.Duration { return s.P99 })
	if p99Target != "" {
		p99.target = p99Target
		p99.met = atMost(durationMS(p99Limit))
	}
	return []figure{
		row("p50", func(s latencySummary) time.Duration { return s.P50 }),
		row("p90", func(s latencySummary) time.Duration { return s.P90 }),
		p99,
		row("max", func(s latencySummary) time.Duration { return s.Max }),
	}
}

func always(get func(*runResult) float64) func(*runResult) (float64, bool) {
	return func(r *runResult) (float64, bool) { return get(r), true }
}

func refreshValue(get func(*refreshResult) float64) func(*runResult) (float64, bool) {
	return func(r *runResult) (float64, bool) {
		if r.Refresh == nil {
			return 0, false
		}
		return get(r.Refresh), true
	}
}

func redeliverValue(get func(*redeliverResult) float64) func(*runResult) (float64, bool) {
	return func(r *runResult) (float64, bool) {
		if r.Redeliver == nil {
			return 0, false
		}
		return get(r.Redeliver), true
	}
}

// figures returns the report's rows for cfg.
func figures(cfg config) []figure {
	rows := latencyRows(cfg)
	rows = append(rows, volumeRows(cfg)...)
	if cfg.refresh {
		rows = append(rows, refreshRows()...)
	}
	if cfg.redeliver {
		rows = append(rows, redeliverRows()...)
	}
	return append(rows, problemRows(cfg)...)
}

// The latency, throughput and memory targets are stated for slash commands
// alone, so rows of the other scenarios have none.

func latencyRows(cfg config) []figure {
	ackTarget, viewsOpenTarget := "", ""
	if cfg.scenario == scenarioSlash {
		ackTarget, viewsOpenTarget = "≤ 10 ms", "≤ 25 ms"
	}
	rows := latencyFigures("ack", func(r *runResult) latencySummary { return r.Ack }, ackTarget, 10*time.Millisecond)
	if cfg.scenario != scenarioSearch {
		rows = append(rows, latencyFigures("slash → views.open", func(r *runResult) latencySummary { return r.ViewsOpen }, viewsOpenTarget, 25*time.Millisecond)...)
		rows = append(rows, latencyFigures("slash → form filled", func(r *runResult) latencySummary { return r.FormFilled }, "", 0)...)
	}
	if cfg.scenario == scenarioSubmit {
		rows = append(rows, latencyFigures("submission ack", func(r *runResult) latencySummary { return r.SubmissionAck }, "", 0)...)
		rows = append(rows, latencyFigures("submission → create call", func(r *runResult) latencySummary { return r.SubmissionCreate }, "", 0)...)
	}
	return rows
}

// volumeRows returns throughput, losses, memory and CPU time.
func volumeRows(cfg config) []figure {
	throughput := figure{name: "throughput", value: always(func(r *runResult) float64 { return r.Throughput }), format: perSecond}
	peakRSS := figure{
		name:   "peak RSS (VmHWM)",
		value:  func(r *runResult) (float64, bool) { return float64(r.PeakRSS) / (1 << 20), r.PeakRSS > 0 },
		format: mebibytes,
	}
	if cfg.scenario == scenarioSlash {
		throughput.target, throughput.met = "≥ 5000 /s", atLeast(5000)
		peakRSS.target, peakRSS.met = "≤ 30 MiB", atMost(30)
	}
	lost := counter("lost (never acked or handled)", func(r *runResult) int { return r.Lost })
	if cfg.refresh {
		lost.target, lost.met = "0", atMost(0)
	}
	perOperation := func(name string, get func(*runResult) time.Duration) figure {
		return figure{
			name: name,
			value: func(r *runResult) (float64, bool) {
				return durationMS(get(r)) / float64(r.Completed), r.Completed > 0
			},
			format: milliseconds,
		}
	}
	return []figure{
		throughput,
		counter("completed", func(r *runResult) int { return r.Completed }),
		counter("not acked within 3 s", func(r *runResult) int { return r.NotAckedWithin3s }),
		lost,
		peakRSS,
		{name: "bot CPU time", value: always(func(r *runResult) float64 { return r.BotCPU.Seconds() }), format: seconds},
		perOperation("bot CPU per operation", func(r *runResult) time.Duration { return r.BotCPU }),
		{name: "driver CPU time", value: always(func(r *runResult) float64 { return r.DriverCPU.Seconds() }), format: seconds},
		perOperation("driver CPU per operation", func(r *runResult) time.Duration { return r.DriverCPU }),
		{name: "other processes' CPU time", value: always(func(r *runResult) float64 { return r.OtherCPU.Seconds() }), format: seconds},
	}
}

func refreshRows() []figure {
	return []figure{
		{
			name:   "max time without a connection",
			value:  refreshValue(func(f *refreshResult) float64 { return durationMS(f.MaxGap) }),
			format: milliseconds, target: "≤ 200 ms", met: atMost(200),
		},
		{
			name:   "connections opened",
			value:  refreshValue(func(f *refreshResult) float64 { return float64(f.ConnectionsOpened) }),
			format: count,
		},
	}
}

func redeliverRows() []figure {
	return []figure{
		{
			name:   "redelivered envelopes",
			value:  redeliverValue(func(f *redeliverResult) float64 { return float64(f.Redelivered) }),
			format: count,
		},
		{
			name:   "redelivered, acted on twice",
			value:  redeliverValue(func(f *redeliverResult) float64 { return float64(f.ActedOnTwice) }),
			format: count, target: "0", met: atMost(0),
		},
		{
			name:   "redelivered, never acked",
			value:  redeliverValue(func(f *redeliverResult) float64 { return float64(f.NeverAcked) }),
			format: count,
		},
	}
}

// problemRows returns the counts of errors and retries.
func problemRows(cfg config) []figure {
	rows := []figure{
		counter("views.open errors", func(r *runResult) int { return r.ViewsOpenErrors }),
		counter("send retries", func(r *runResult) int { return r.SendRetries }),
		counter("bot log warnings", func(r *runResult) int { return r.BotLog.Warnings }),
		counter("bot log errors", func(r *runResult) int { return r.BotLog.Errors }),
	}
	if cfg.scenario == scenarioSearch {
		rows = append(rows, counter("suggestion errors", func(r *runResult) int { return r.SuggestionErrors }))
	}
	if cfg.scenario == scenarioSubmit {
		rows = append(rows, counter("creates missing", func(r *runResult) int { return r.CreatesMissing }))
	}
	return rows
}

// counter returns a row that counts something in every run.
func counter(name string, get func(*runResult) int) figure {
	return figure{name: name, value: always(func(r *runResult) float64 { return float64(get(r)) }), format: count}
}

// summaryRow is one figure's values, median and verdict, for the JSON
// output.
type summaryRow struct {
	Figure string    `json:"figure"`
	Values []float64 `json:"values"`
	Median float64   `json:"median"`
	Target string    `json:"target,omitempty"`
	// Met is set when the figure has a target.
	Met *bool `json:"met,omitempty"`
}

// summarizeRuns computes each figure's median over the runs.
func summarizeRuns(cfg config, results []*runResult) []summaryRow {
	var rows []summaryRow
	for _, f := range figures(cfg) {
		row := summaryRow{Figure: f.name, Target: f.target}
		for _, r := range results {
			if v, ok := f.value(r); ok {
				row.Values = append(row.Values, v)
			}
		}
		if len(row.Values) == 0 {
			continue
		}
		row.Median = median(row.Values)
		if f.met != nil {
			met := f.met(row.Median)
			row.Met = &met
		}
		rows = append(rows, row)
	}
	return rows
}

// writeReport prints the settings, a table of every figure with one
// column per run, the median and the target, and the bot's most frequent
// warnings and errors.
func writeReport(w io.Writer, cfg config, binary string, results []*runResult) error {
	fmt.Fprintf(w, "paperspace-load: scenario %s, %d operations, %d in flight, %d warm-up, %d run(s)",
		cfg.scenario, cfg.operations, cfg.inFlight, cfg.warmup, len(results))
	if cfg.refresh {
		fmt.Fprint(w, ", refresh_requested at the middle")
	}
	if cfg.redeliver {
		fmt.Fprint(w, ", every tenth envelope redelivered")
	}
	fmt.Fprintf(w, "\nbot: %s; %d templates in the fake Core API", binary, cfg.templates)
	if len(cfg.botEnv) > 0 {
		fmt.Fprintf(w, "; extra environment: %s", cfg.botEnv.String())
	}
	fmt.Fprint(w, "\n\n")

	format := map[string]func(float64) string{}
	for _, f := range figures(cfg) {
		format[f.name] = f.format
	}
	table := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	header := []string{"figure"}
	for _, r := range results {
		header = append(header, fmt.Sprintf("run %d", r.Run))
	}
	header = append(header, "median", "target", "")
	fmt.Fprintln(table, strings.Join(header, "\t"))
	for _, row := range summarizeRuns(cfg, results) {
		cells := []string{row.Figure}
		for _, v := range row.Values {
			cells = append(cells, format[row.Figure](v))
		}
		for range len(results) - len(row.Values) {
			cells = append(cells, "-")
		}
		verdict := ""
		if row.Met != nil {
			verdict = "met"
			if !*row.Met {
				verdict = "MISSED"
			}
		}
		cells = append(cells, format[row.Figure](row.Median), row.Target, verdict)
		fmt.Fprintln(table, strings.Join(cells, "\t"))
	}
	if err := table.Flush(); err != nil {
		return err
	}

	for _, r := range results {
		for _, m := range r.BotLog.Top {
			fmt.Fprintf(w, "run %d bot log: %d × %s %q\n", r.Run, m.Count, m.Level, m.Message)
		}
		for _, p := range r.Problems {
			fmt.Fprintf(w, "run %d problem: %s\n", r.Run, p)
		}
	}
	return nil
}

// jsonReport is the -json output.
type jsonReport struct {
	Scenario   string         `json:"scenario"`
	Operations int            `json:"operations"`
	InFlight   int            `json:"in_flight"`
	Warmup     int            `json:"warmup"`
	Refresh    bool           `json:"refresh"`
	Redeliver  bool           `json:"redeliver"`
	Templates  int            `json:"templates"`
	Binary     string         `json:"binary"`
	Date       time.Time      `json:"date"`
	Runs       []*runResult   `json:"runs"`
	Medians    []summaryRow   `json:"medians"`
	Machine    machineSummary `json:"machine"`
}

// machineSummary describes the host, as docs/benchmarks.md records it.
type machineSummary struct {
	CPUs        int   `json:"cpus"`
	MemoryBytes int64 `json:"memory_bytes"`
}

// writeJSONReport writes the runs and medians as JSON to path.
func writeJSONReport(path string, cfg config, binary string, results []*runResult, machine machineSummary) error {
	report := jsonReport{
		Scenario: cfg.scenario, Operations: cfg.operations, InFlight: cfg.inFlight, Warmup: cfg.warmup,
		Refresh: cfg.refresh, Redeliver: cfg.redeliver, Templates: cfg.templates, Binary: binary,
		Date: time.Now().UTC(), Runs: results, Medians: summarizeRuns(cfg, results), Machine: machine,
	}
	data, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return fmt.Errorf("encode JSON report: %w", err)
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write JSON report: %w", err)
	}
	return nil
}

// missedTargets returns the names of the figures whose median misses
// their target.
func missedTargets(cfg config, results []*runResult) []string {
	var missed []string
	for _, row := range summarizeRuns(cfg, results) {
		if row.Met != nil && !*row.Met {
			missed = append(missed, row.Figure)
		}
	}
	return slices.Clip(missed)
}
