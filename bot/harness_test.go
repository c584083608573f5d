package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// testTimeout bounds every wait in these tests. It is a deadline for
// failure, never a pause.
const testTimeout = 20 * time.Second

// fastBackoff keeps reconnect waits short, so tests that make the bot fail
// many times run quickly. The ratios between the waits match the defaults.
var fastBackoff = backoffPolicy{
	base:            time.Millisecond,
	limit:           20 * time.Millisecond,
	tooManyBase:     5 * time.Millisecond,
	tooManyLimit:    40 * time.Millisecond,
	linkDisabledMin: 5 * time.Millisecond,
	stableAfter:     time.Minute,
}

// recorder is a Handler that counts the envelopes it is given. A hook, when
// set, runs inside Handle, for example to acknowledge with a payload.
type recorder struct {
	mu      sync.Mutex
	handled map[string]int
	changed chan struct{}
	hook    func(env *Envelope, ack AckFunc)
}

func newRecorder() *recorder {
	return &recorder{handled: map[string]int{}, changed: make(chan struct{})}
}

func (r *recorder) Handle(_ context.Context, env *Envelope, ack AckFunc) {
	r.mu.Lock()
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		hook(env, ack)
	} else if ack != nil {
		ack(nil)
	}

	r.mu.Lock()
	r.handled[env.EnvelopeID]++
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) setHook(hook func(env *Envelope, ack AckFunc)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.hook = hook
}

// count returns how often the envelope was handled.
func (r *recorder) count(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.handled[id]
}

// counts returns a copy of the handled counts.
func (r *recorder) counts() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make(map[string]int, len(r.handled))
	for id, n := range r.handled {
		out[id] = n
	}
	return out
}

// waitHandled waits until every one of ids was handled at least once.
func (r *recorder) waitHandled(ctx context.Context, ids ...string) error {
	for {
		r.mu.Lock()
		changed := r.changed
		var missing []string
		for _, id := range ids {
			if r.handled[id] == 0 {
				missing = append(missing, id)
			}
		}
		r.mu.Unlock()
		if len(missing) == 0 {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			if len(missing) > 5 {
				missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
			}
			return fmt.Errorf("envelopes not handled: %v: %w", missing, ctx.Err())
		}
	}
}

// logLines collects the bot's zerolog output, one JSON object per line.
type logLines struct {
	mu    sync.Mutex
	lines []map[string]any
	raw   bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(p)
	var line map[string]any
	if err := json.Unmarshal(p, &line); err != nil {
		line = map[string]any{"level": "unparsed", "message": string(p)}
	}
	l.lines = append(l.lines, line)
	return len(p), nil
}

// matching returns the lines at level (any level when "") whose message
// contains text.
func (l *logLines) matching(level, text string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range l.lines {
		if level != "" && line["level"] != level {
			continue
		}
		if msg, _ := line["message"].(string); strings.Contains(msg, text) {
			out = append(out, line)
		}
	}
	return out
}

// atLeast returns the lines at level info or above.
func (l *logLines) atLeast(level zerolog.Level) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range l.lines {
		name, _ := line["level"].(string)
		parsed, err := zerolog.ParseLevel(name)
		if err != nil || parsed >= level {
			out = append(out, line)
		}
	}
	return out
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// harness is a Bot connected to a fake Slack.
type harness struct {
	t      *testing.T
	fake   *fakeslack.Server
	bot    *Bot
	rec    *recorder
	logs   *logLines
	cancel context.CancelFunc
	done   chan struct{}
	runErr error
}

// harnessOptions changes the bot before it runs.
type harnessOptions struct {
	fakeOptions []fakeslack.Option
	config      func(*Config, *fakeslack.Server)
	policy      *backoffPolicy
	// beforeStart, when set, prepares the fake before the bot starts.
	beforeStart func(*fakeslack.Server)
	// noWait starts the bot without waiting for its first hello.
	noWait bool
}

func newHarness(t *testing.T, opts harnessOptions) *harness {
	t.Helper()
	fake := fakeslack.New(append([]fakeslack.Option{fakeslack.WithLogf(t.Logf)}, opts.fakeOptions...)...)
	t.Cleanup(fake.Close)

	h := &harness{t: t, fake: fake, rec: newRecorder(), logs: &logLines{}, done: make(chan struct{})}
	cfg := Config{
		API: slack.New(fake.BotToken(),
			slack.OptionAppLevelToken(fake.AppToken()),
			slack.OptionAPIURL(fake.APIURL())),
		Handler: h.rec,
		Log:     zerolog.New(h.logs).Level(zerolog.DebugLevel),
	}
	if opts.config != nil {
		opts.config(&cfg, fake)
	}
	h.bot = New(cfg)
	if opts.policy != nil {
		h.bot.policy = *opts.policy
	}
	if opts.beforeStart != nil {
		opts.beforeStart(fake)
	}

	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() {
		defer close(h.done)
		h.runErr = h.bot.Run(ctx, context.Background())
	}()
	t.Cleanup(func() {
		h.stop()
		if t.Failed() {
			t.Logf("bot logs:\n%s", h.logs.String())
		}
	})
	if !opts.noWait {
		h.waitConnected()
	}
	return h
}

// stop ends Run and waits for it and for the handlers.
func (h *harness) stop() {
	h.cancel()
	<-h.done
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	if err := h.bot.Wait(ctx); err != nil {
		h.t.Errorf("handlers still running after stop: %v", err)
	}
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	h.t.Cleanup(cancel)
	return ctx
}

// waitConnected waits until the bot has one connection and Slack said hello
// on it.
func (h *harness) waitConnected() {
	h.t.Helper()
	// Connected changes after the fake's last notice, so this polls.
	err := poll(h.ctx(), func() bool { return h.fake.Connections() == 1 && h.bot.Connected() })
	if err != nil {
		h.t.Fatalf("bot did not connect: %v", err)
	}
}

// event returns an events_api envelope with a fresh envelope id.
func (h *harness) event() fakeslack.Envelope {
	return fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, Payload: map[string]any{"type": "event_callback"}}
}

// sendUntilDelivered sends env until a connection takes it, as Slack does
// with an envelope it could not deliver. It returns the envelope id.
func (h *harness) sendUntilDelivered(ctx context.Context, env fakeslack.Envelope) (string, error) {
	if env.EnvelopeID == "" {
		env.EnvelopeID = newEnvelopeID()
	}
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for {
		err := h.fake.Send(env)
		if err == nil {
			return env.EnvelopeID, nil
		}
		select {
		case <-ctx.Done():
			return env.EnvelopeID, fmt.Errorf("send %s: %w (last error: %v)", env.EnvelopeID, ctx.Err(), err)
		case <-ticker.C:
		}
	}
}

var envelopeSeq struct {
	sync.Mutex
	n int
}

// newEnvelopeID returns an envelope id unique within the test binary.
func newEnvelopeID() string {
	envelopeSeq.Lock()
	defer envelopeSeq.Unlock()
	envelopeSeq.n++
	return fmt.Sprintf("env-test-%06d", envelopeSeq.n)
}

// poll checks cond every few milliseconds until it holds or ctx ends. It is
// for state that nothing signals, such as Bot.Connected.
func poll(ctx context.Context, cond func() bool) error {
	ticker := time.NewTicker(2 * time.Millisecond)
	defer ticker.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
	return nil
}
