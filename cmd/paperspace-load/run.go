package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// Timeouts of one run.
const (
	// readyTimeout bounds the bot's start: connecting to the fake Slack
	// and loading the catalogue from the fake Core API.
	readyTimeout = 30 * time.Second
	// stopTimeout bounds the bot's graceful stop after SIGTERM.
	stopTimeout = 60 * time.Second
	// createsTimeout bounds the wait for the create calls of a submit run
	// after its last submission was acked.
	createsTimeout = 2 * time.Minute
)

// busyHostShare is the share of the host's CPU time, as a divisor, above
// which the CPU time of other processes makes a run's figures unreliable:
// 10 means a tenth.
const busyHostShare = 10

// world is one run's fakes and bot.
type world struct {
	track     *tracker
	slack     *fakeslack.Server
	core      *fakecoreapi.Server
	templates []paperspace.Template
	proc      *botProcess
	// profiler is nil unless cfg.profileDir is set.
	profiler *profileClient
	// closers run in reverse order when the run ends.
	closers []func()
}

// usage is the CPU time that the bot, the driver and the whole host have
// used so far, and the bot's memory.
type usage struct {
	// wall is when the usage was read.
	wall              time.Time
	bot, driver, host time.Duration
	botErr, hostErr   error
	memory            memoryUsage
	memoryErr         error
}

// runOnce starts fresh fakes and a fresh bot in dir, runs the warm-up and
// the measured operations, stops the bot gracefully, and returns the
// figures of the measured operations.
func runOnce(ctx context.Context, cfg config, binary string, run int, dir string) (*runResult, error) {
	w, err := startWorld(ctx, cfg, binary, dir)
	defer w.close()
	if err != nil {
		return nil, err
	}

	r := &runner{cfg: cfg, slack: w.slack, track: w.track, templates: w.templates}
	if cfg.warmup > 0 {
		warmup := r.newOperations(cfg.warmup, false, run)
		r.runPhase(ctx, warmup)
		drain(ctx, warmup, time.Now().Add(cfg.opTimeout))
	}

	before := w.readUsage(false)
	driverProfile, err := w.startProfiles(ctx)
	if err != nil {
		return nil, err
	}
	ops := r.newOperations(cfg.operations, true, run)
	r.runPhase(ctx, ops)
	drain(ctx, ops, time.Now().Add(cfg.opTimeout))
	measuredEnd := time.Now()
	history := w.slack.ConnectionHistory()
	if cfg.scenario == scenarioSubmit {
		// The bot makes the create calls after the acks, paced by its
		// posts to each channel, so they come well after the last ack.
		var submitted int
		w.track.locked(func() { submitted = countSubmitted(ops) })
		waitForCreates(ctx, w.core, submitted, createsTimeout)
	}
	after := w.readUsage(true)
	if err := w.saveProfiles(ctx, driverProfile, filepath.Join(cfg.profileDir, fmt.Sprintf("run%d", run))); err != nil {
		return nil, err
	}

	stopErr := w.proc.stop(stopTimeout)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("run %d interrupted: %w", run, err)
	}

	res := w.collect(ctx, cfg, run, r, ops, filepath.Join(dir, "bot.db"))
	res.addUsage(before, after)
	res.BotExitCode = exitCode(stopErr)
	if stopErr != nil {
		res.Problems = append(res.Problems, fmt.Sprintf("bot did not stop cleanly: %v", stopErr))
	}
	if cfg.refresh {
		res.Refresh = refreshFigures(history, r.refreshAt, res.firstSent, measuredEnd)
	}
	logs, err := countLogLevels(w.proc.logPath)
	if err != nil {
		res.Problems = append(res.Problems, err.Error())
	}
	res.BotLog = logs
	return res, nil
}

// startWorld starts the fakes and the bot in dir and waits until the bot
// has connected and loaded its catalogue. The caller calls close on the
// result, also after an error.
func startWorld(ctx context.Context, cfg config, binary, dir string) (*world, error) {
	w := &world{track: newTracker()}
	fakeLog, err := newLineLog(filepath.Join(dir, "fakeslack.log"))
	if err != nil {
		return w, err
	}
	w.closers = append(w.closers, fakeLog.close)

	options := []fakeslack.Option{
		fakeslack.WithCallObserver(w.track.observeCall),
		fakeslack.WithAckObserver(w.track.observeAck),
		fakeslack.WithLogf(fakeLog.printf),
	}
	if !cfg.checkViews {
		options = append(options, fakeslack.WithoutViewChecks())
	}
	w.slack = fakeslack.New(options...)
	w.closers = append(w.closers, w.slack.Close)
	w.track.slack = w.slack
	w.slack.AddUser(slack.User{ID: adminID, Name: "load-admin", RealName: "Load Admin"})

	w.templates = fakecoreapi.GeneratedTemplates(cfg.templates)
	w.core = fakecoreapi.New(fakecoreapi.WithTemplates(w.templates))
	w.closers = append(w.closers, w.core.Close)

	env := botEnvironment(cfg, w.slack, w.core, dir)
	for key, value := range cfg.botEnv {
		env[key] = value
	}
	var listener *net.TCPListener
	if cfg.profileDir != "" {
		listener, err = net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			return w, fmt.Errorf("listen for the profiling hook on 127.0.0.1: %w", err)
		}
		w.profiler = newProfileClient(listener.Addr().String())
		env[profileHookEnv] = "1"
	}
	w.proc, err = startBot(binary, dir, env, listener)
	if listener != nil {
		// The bot has its own copy of the listener by now.
		listener.Close()
	}
	if err != nil {
		return w, err
	}
	w.closers = append(w.closers, w.proc.kill)

	readyCtx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return w, w.proc.waitReady(readyCtx, func() bool {
		return w.slack.Connections() >= 1 && len(w.core.RequestsTo(fakecoreapi.PathGetNetworks)) > 0
	})
}

// close kills the bot if it still runs and stops the fakes.
func (w *world) close() {
	for i := len(w.closers) - 1; i >= 0; i-- {
		w.closers[i]()
	}
}

// readUsage reads the CPU time used so far by the bot, the driver and the
// host, and with memory set, the bot's memory.
func (w *world) readUsage(memory bool) usage {
	u := usage{wall: time.Now()}
	u.bot, u.botErr = readCPUTime(w.proc.pid())
	u.driver = ownCPUTime()
	u.host, u.hostErr = readHostBusyTime()
	if memory {
		u.memory, u.memoryErr = readMemoryUsage(w.proc.pid())
	}
	return u
}

// startProfiles starts the bot's and the driver's CPU profiles when
// profiling is on. It returns the driver's profile, or nil.
func (w *world) startProfiles(ctx context.Context) (*driverCPUProfile, error) {
	if w.profiler == nil {
		return nil, nil
	}
	if err := w.profiler.startCPU(ctx); err != nil {
		return nil, err
	}
	return startDriverCPUProfile()
}

// saveProfiles writes the profiles to dir when profiling is on.
func (w *world) saveProfiles(ctx context.Context, driverProfile *driverCPUProfile, dir string) error {
	if w.profiler == nil {
		return nil
	}
	if err := w.profiler.saveAll(ctx, dir); err != nil {
		return err
	}
	return driverProfile.save(filepath.Join(dir, "driver-cpu.pprof"))
}

// collect computes the figures of ops, and for a submit run what the
// submissions led to, from the records that the fake Slack's observers
// wrote. The observers may still run, so it reads under the tracker's lock.
func (w *world) collect(ctx context.Context, cfg config, run int, r *runner, ops []*operation, dbPath string) *runResult {
	var res *runResult
	var submitErr error
	w.track.locked(func() {
		res = newResult(run, cfg, ops)
		res.Problems = append(res.Problems, describeLost(ops, r.refreshAt)...)
		if cfg.scenario == scenarioSubmit {
			submitErr = res.addSubmitFigures(ctx, ops, w.core, dbPath)
		}
		if cfg.redeliver {
			res.Redeliver = redeliverFigures(ops, res.duplicateCreates, res.duplicateRequests)
		}
	})
	if submitErr != nil {
		res.Problems = append(res.Problems, submitErr.Error())
	}
	res.SendRetries = int(r.sendRetries.Load())
	return res
}

// addUsage sets the CPU and memory figures from the usage read before and
// after the measured phase.
func (res *runResult) addUsage(before, after usage) {
	res.DriverCPU = after.driver - before.driver
	if err := errors.Join(before.botErr, after.botErr); err != nil {
		res.Problems = append(res.Problems, err.Error())
	} else {
		res.BotCPU = after.bot - before.bot
	}
	if before.hostErr == nil && after.hostErr == nil && res.BotCPU > 0 {
		// The host counts in clock ticks, so a quiet host may come out a
		// few ticks below zero.
		res.OtherCPU = max(after.host-before.host-res.BotCPU-res.DriverCPU, 0)
		capacity := after.wall.Sub(before.wall) * time.Duration(runtime.NumCPU())
		if capacity > 0 && res.OtherCPU > capacity/busyHostShare {
			res.Problems = append(res.Problems, fmt.Sprintf(
				"other processes used %.2f s of the host's %.2f s of CPU during the measured phase, so the figures understate the bot; measure again on a quiet host",
				res.OtherCPU.Seconds(), capacity.Seconds()))
		}
	}
	if after.memoryErr != nil {
		res.Problems = append(res.Problems, after.memoryErr.Error())
		return
	}
	res.PeakRSS, res.EndRSS = after.memory.PeakRSS, after.memory.RSS
	res.EndAnonRSS, res.EndFileRSS = after.memory.AnonRSS, after.memory.FileRSS
}

// botEnvironment returns the bot's settings for a run: tokens and URLs of
// the fakes, one admin, a SQLite file in dir and no HTTP listener.
func botEnvironment(cfg config, slackServer *fakeslack.Server, core *fakecoreapi.Server, dir string) map[string]string {
	return map[string]string{
		"SLACK_APP_TOKEN":    slackServer.AppToken(),
		"SLACK_BOT_TOKEN":    slackServer.BotToken(),
		"SLACK_API_URL":      slackServer.APIURL(),
		"PAPERSPACE_API_KEY": fakecoreapi.DefaultAPIKey,
		"PAPERSPACE_API_URL": core.URL(),
		"ADMIN_USER_IDS":     adminID,
		"DATABASE_URL":       filepath.Join(dir, "bot.db"),
		"HTTP_ADDR":          "off",
		"LOG_LEVEL":          cfg.logLevel,
		"INSTANCE_ID":        "paperspace-load",
		"SHUTDOWN_TIMEOUT":   "30s",
	}
}

// ownCPUTime returns the CPU time, user and system, that the driver has
// used so far, or 0 when the system does not report it.
func ownCPUTime() time.Duration {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
}

// lineLog writes timestamped lines to a file, for the fake Slack's log.
type lineLog struct {
	mu   sync.Mutex
	file *os.File
}

func newLineLog(path string) (*lineLog, error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create log: %w", err)
	}
	return &lineLog{file: file}, nil
}

func (l *lineLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.file, "%s "+format+"\n", append([]any{time.Now().UTC().Format(time.RFC3339Nano)}, args...)...)
}

func (l *lineLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.file.Close()
}
