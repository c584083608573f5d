// Command paperspace-load measures the paperspace-bot binary under load. It
// plays Slack's side with the project's fake Slack (bot/fakeslack) and the
// Core API's with the fake Core API (paperspace/fakecoreapi), both in this
// process on 127.0.0.1, and runs the real bot as a child process pointed at
// them. It sends a closed loop of operations, a fixed number in flight, and
// reports:
//
//   - ack latency: envelope sent to ack read by the fake Slack;
//   - slash-to-views.open latency: slash command sent to views.open
//     received by the fake Slack;
//   - throughput, and envelopes not acked within 3 s;
//   - the bot's peak resident memory (VmHWM from /proc/<pid>/status) and
//     CPU time;
//   - with -refresh, events lost and the longest time without an open
//     Socket Mode connection around a refresh_requested disconnect;
//   - with -redeliver, duplicates acted on when every tenth envelope is
//     delivered twice.
//
// Run it from the repository:
//
//	go run ./cmd/paperspace-load -n 2000 -c 50 -runs 3
//
// It builds the bot as the Dockerfile does (CGO_ENABLED=0, -trimpath,
// -ldflags=-s -w) and without the race detector, unless -bin names a
// binary. Each run gets new fakes, a new bot and a new SQLite
// file in a temporary folder, which the driver removes at the end unless
// -keep is set. It reads /proc, so it runs on Linux only.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"
)

// config holds the command-line settings.
type config struct {
	operations int
	inFlight   int
	scenario   string
	binary     string
	runs       int
	refresh    bool
	redeliver  bool
	templates  int
	warmup     int
	opTimeout  time.Duration
	logLevel   string
	profileDir string
	jsonPath   string
	keep       bool
	// checkViews keeps the fake Slack's Block Kit checks of views on.
	checkViews bool
	// strict makes the command exit with status 3 when a median misses
	// its target.
	strict bool
	// botEnv holds extra environment variables for the bot, which override
	// the driver's settings.
	botEnv envFlag
}

// envFlag collects repeated -env KEY=VALUE flags.
type envFlag map[string]string

func (e *envFlag) String() string {
	keys := make([]string, 0, len(*e))
	for key, value := range *e {
		keys = append(keys, key+"="+value)
	}
	slices.Sort(keys)
	return strings.Join(keys, " ")
}

func (e *envFlag) Set(text string) error {
	key, value, ok := strings.Cut(text, "=")
	if !ok || key == "" {
		return fmt.Errorf("%q is not KEY=VALUE", text)
	}
	if *e == nil {
		*e = envFlag{}
	}
	(*e)[key] = value
	return nil
}

// driverGCPercent is the driver's GOGC unless the environment sets one.
// The fakes record every call and ack, so the driver's heap grows during a
// run. Collecting it less often leaves more of the shared CPUs to the bot.
const driverGCPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(driverGCPercent)
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses args, runs the load and prints the report to stdout. It
// returns the exit status: 0 on success, 1 when a run failed, 2 for
// invalid flags and 3 for a missed target with -strict.
func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "paperspace-load: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, binary, err := runAll(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "paperspace-load: %v\n", err)
		return 1
	}

	if err := writeReport(stdout, cfg, binary, results); err != nil {
		fmt.Fprintf(stderr, "paperspace-load: write report: %v\n", err)
		return 1
	}
	if cfg.jsonPath != "" {
		if err := writeJSONReport(cfg.jsonPath, cfg, binary, results, describeMachine()); err != nil {
			fmt.Fprintf(stderr, "paperspace-load: %v\n", err)
			return 1
		}
	}
	if missed := missedTargets(cfg, results); cfg.strict && len(missed) > 0 {
		fmt.Fprintf(stderr, "paperspace-load: targets missed: %s\n", strings.Join(missed, ", "))
		return 3
	}
	return 0
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	flags := flag.NewFlagSet("paperspace-load", flag.ContinueOnError)
	flags.SetOutput(stderr)

	// What a run does.
	flags.IntVar(&cfg.operations, "n", 2000, "number of measured operations per run")
	flags.IntVar(&cfg.inFlight, "c", 50, "number of operations in flight: each worker starts its next operation when its last one completed")
	flags.StringVar(&cfg.scenario, "scenario", scenarioSlash, "what one operation does: "+
		"slash (\"/paperspace create\", until acked and views.open received), "+
		"submit (slash, then the form submitted with valid values, until the submission is acked) or "+
		"search (a template menu search, until acked)")
	flags.IntVar(&cfg.runs, "runs", 1, "number of runs, each with a new bot; the report gives every run and the median")
	flags.BoolVar(&cfg.refresh, "refresh", false, "send a refresh_requested disconnect when the middle operation starts")
	flags.BoolVar(&cfg.redeliver, "redeliver", false, "send every tenth envelope twice, the second time with retry_attempt 1")
	flags.IntVar(&cfg.templates, "templates", 5000, "number of templates the fake Core API serves")
	flags.IntVar(&cfg.warmup, "warmup", 0, "number of operations run before the measured ones and left out of the figures")
	flags.DurationVar(&cfg.opTimeout, "op-timeout", 10*time.Second, "how long a worker waits for one operation before it starts the next; late results still count")

	// The bot.
	flags.StringVar(&cfg.binary, "bin", "", "path of a paperspace-bot binary to run; empty builds one from this checkout as the Dockerfile does")
	flags.StringVar(&cfg.logLevel, "log-level", "info", "LOG_LEVEL of the bot: trace, debug, info, warn or error")
	flags.Var(&cfg.botEnv, "env", "extra environment variable for the bot, as KEY=VALUE, for example GOGC=50; repeat for more; overrides the driver's own settings")

	// What the driver writes.
	flags.StringVar(&cfg.profileDir, "profile", "", "folder for CPU, allocation, heap, mutex and goroutine profiles of the bot during the measured operations; "+
		"the driver then builds a separate copy of the bot with a profiling hook (ignores -bin)")
	flags.StringVar(&cfg.jsonPath, "json", "", "file to write the runs and medians to, as JSON")
	flags.BoolVar(&cfg.keep, "keep", false, "keep the temporary folder with the bot's logs and SQLite files, and print its path")
	flags.BoolVar(&cfg.checkViews, "check-views", false, "check every view the bot sends against Slack's Block Kit limits, as the tests do; this costs the driver CPU that the bot then lacks")
	flags.BoolVar(&cfg.strict, "strict", false, "exit with status 3 when a median misses its target")

	if err := flags.Parse(args); err != nil {
		return config{}, err
	}
	if flags.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected argument %q: all settings are flags (see -h)", flags.Arg(0))
	}
	return cfg, cfg.validate()
}

// validate checks the settings and returns one error listing every
// problem.
func (cfg config) validate() error {
	var problems []string
	if cfg.operations < 1 {
		problems = append(problems, fmt.Sprintf("-n must be at least 1, not %d", cfg.operations))
	}
	if cfg.inFlight < 1 {
		problems = append(problems, fmt.Sprintf("-c must be at least 1, not %d", cfg.inFlight))
	}
	if !slices.Contains(scenarios, cfg.scenario) {
		problems = append(problems, fmt.Sprintf("-scenario %q is invalid: use %s", cfg.scenario, strings.Join(scenarios, ", ")))
	}
	if cfg.runs < 1 {
		problems = append(problems, fmt.Sprintf("-runs must be at least 1, not %d", cfg.runs))
	}
	if cfg.templates < 1 || cfg.templates > 100_000 {
		problems = append(problems, fmt.Sprintf("-templates must be from 1 to 100000, not %d", cfg.templates))
	}
	if cfg.warmup < 0 {
		problems = append(problems, fmt.Sprintf("-warmup must not be negative, not %d", cfg.warmup))
	}
	if cfg.opTimeout <= 0 {
		problems = append(problems, fmt.Sprintf("-op-timeout must be positive, not %s", cfg.opTimeout))
	}
	if !slices.Contains([]string{"trace", "debug", "info", "warn", "error"}, cfg.logLevel) {
		problems = append(problems, fmt.Sprintf("-log-level %q is invalid: use trace, debug, info, warn or error", cfg.logLevel))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// runAll builds the bot when needed and runs cfg.runs runs, each in its own
// folder under one temporary folder. It returns the results and the path
// of the binary that ran.
func runAll(ctx context.Context, cfg config, stderr io.Writer) ([]*runResult, string, error) {
	tempDir, err := os.MkdirTemp("", "paperspace-load-")
	if err != nil {
		return nil, "", fmt.Errorf("create temporary folder: %w", err)
	}
	if cfg.keep {
		fmt.Fprintf(stderr, "paperspace-load: keeping %s\n", tempDir)
	} else {
		defer os.RemoveAll(tempDir)
	}

	binary := cfg.binary
	if binary == "" || cfg.profileDir != "" {
		fmt.Fprintln(stderr, "paperspace-load: building the bot")
		binary, err = buildBot(ctx, tempDir, cfg.profileDir != "")
		if err != nil {
			return nil, "", err
		}
	} else if binary, err = filepath.Abs(binary); err != nil {
		return nil, "", fmt.Errorf("-bin: %w", err)
	}

	var results []*runResult
	for i := 1; i <= cfg.runs; i++ {
		dir := filepath.Join(tempDir, fmt.Sprintf("run%d", i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, "", fmt.Errorf("create run folder: %w", err)
		}
		fmt.Fprintf(stderr, "paperspace-load: run %d of %d\n", i, cfg.runs)
		res, err := runOnce(ctx, cfg, binary, i, dir)
		if err != nil {
			return nil, "", fmt.Errorf("run %d: %w", i, err)
		}
		results = append(results, res)
	}
	return results, binary, nil
}

// describeMachine returns the number of CPUs and the memory of the host.
func describeMachine() machineSummary {
	machine := machineSummary{CPUs: runtime.NumCPU()}
	if total, err := readMemTotal(); err == nil {
		machine.MemoryBytes = total
	}
	return machine
}
