// Package e2e runs the built paperspace-bot binary against the fake Slack
// and the fake Core API, over loopback sockets, the way Slack and the Core
// API would drive it.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// binary is the bot built once for all tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "paperspace-bot-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "paperspace-bot")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, "github.com/paperspace-bot/paperspace-bot/cmd/paperspace-bot")
	build := exec.Command("go", args...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: build the bot:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Slack ids the tests use.
const (
	adminID   = "U_ADMIN"
	admin2ID  = "U_ADMIN2"
	memberID  = "U_MEMBER"
	channelID = "C_MACHINES"
)

// world is one test's fake Slack, fake Core API and working folder.
type world struct {
	t     *testing.T
	slack *fakeslack.Server
	core  *fakecoreapi.Server
	dir   string
	// env holds the bot's settings; tests change it before start.
	env map[string]string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := fakeslack.New(fakeslack.WithPingInterval(time.Second), fakeslack.WithLogf(t.Logf))
	t.Cleanup(s.Close)
	core := fakecoreapi.New(fakecoreapi.WithReadyAfter(2))
	t.Cleanup(core.Close)
	for _, u := range []slack.User{
		{ID: adminID, Name: "ada", Profile: slack.UserProfile{Email: "ada@example.com", RealName: "Ada Admin"}},
		{ID: admin2ID, Name: "alan", Profile: slack.UserProfile{Email: "alan@example.com", RealName: "Alan Admin"}},
		{ID: memberID, Name: "jon", Profile: slack.UserProfile{Email: "jon@example.com", RealName: "Jon Snow"}},
	} {
		s.AddUser(u)
	}
	dir := t.TempDir()
	return &world{
		t:     t,
		slack: s,
		core:  core,
		dir:   dir,
		env: map[string]string{
			"SLACK_APP_TOKEN":    fakeslack.DefaultAppToken,
			"SLACK_BOT_TOKEN":    fakeslack.DefaultBotToken,
			"SLACK_API_URL":      s.APIURL(),
			"PAPERSPACE_API_KEY": fakecoreapi.DefaultAPIKey,
			"PAPERSPACE_API_URL": core.URL(),
			"ADMIN_USER_IDS":     adminID + "," + admin2ID,
			"DATABASE_URL":       filepath.Join(dir, "bot.db"),
			"HTTP_ADDR":          "off",
			"WATCH_INTERVAL":     "50ms",
			"LOG_LEVEL":          "debug",
		},
	}
}

// process is a running bot.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan struct{}
	err  error
}

// start runs the bot with w.env and waits until it has connected.
func (w *world) start() *process {
	w.t.Helper()
	p := w.launch()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := poll(ctx, func() bool { return len(w.slack.ConnectionIDs()) >= 1 && p.helloSeen() }); err != nil {
		w.t.Fatalf("bot did not connect: %v\nlogs:\n%s", err, p.logs.String())
	}
	return p
}

// launch starts the bot without waiting for it.
func (w *world) launch() *process {
	w.t.Helper()
	cmd := exec.Command(binary)
	cmd.Dir = w.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + w.dir}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &process{cmd: cmd, logs: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		w.t.Fatalf("start bot: %v", err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		p.signal(syscall.SIGKILL)
		<-p.done
		if w.t.Failed() {
			w.t.Logf("bot logs:\n%s", p.logs.String())
		}
	})
	return p
}

func (p *process) helloSeen() bool {
	return strings.Contains(p.logs.String(), "socket mode connected")
}

func (p *process) signal(sig syscall.Signal) {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(sig)
	}
}

// wait waits for the process to exit and returns its exit code.
func (p *process) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		t.Fatalf("bot still running after %s; logs:\n%s", timeout, p.logs.String())
	}
	if p.err == nil {
		return 0
	}
	if exit, ok := p.err.(*exec.ExitError); ok {
		return exit.ExitCode()
	}
	t.Fatalf("bot: %v", p.err)
	return -1
}

// poll checks cond every 10ms until it holds or ctx ends. It is for
// conditions the fakes cannot signal, such as log lines.
func poll(ctx context.Context, cond func() bool) error {
	ticker := time.NewTicker(10 * time.Millisecond)
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

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ctx returns a context that ends with the test or after d.
func (w *world) ctx(d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	w.t.Cleanup(cancel)
	return ctx
}

// send delivers an envelope and waits for its ack.
func (w *world) send(env fakeslack.Envelope) fakeslack.Ack {
	w.t.Helper()
	if err := w.slack.Send(env); err != nil {
		w.t.Fatalf("send envelope: %v", err)
	}
	ack, err := w.slack.WaitAck(w.ctx(10*time.Second), env.EnvelopeID)
	if err != nil {
		w.t.Fatalf("no ack for %s: %v", env.EnvelopeID, err)
	}
	if ack.Error != "" {
		w.t.Errorf("ack of %s rejected by the fake Slack: %s", env.EnvelopeID, ack.Error)
	}
	return ack
}

// openForm runs "/paperspace create <text>" as user and returns the id of
// the form once the bot has filled it, with its callback id.
func (w *world) openForm(user, text string) (viewID, callbackID string) {
	w.t.Helper()
	env := w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: user, ChannelID: channelID, Command: "/paperspace", Text: strings.TrimSpace("create " + text)})
	w.send(env)
	err := w.slack.WaitFor(w.ctx(10*time.Second), func() bool {
		for _, id := range w.slack.ViewIDs() {
			cb := w.viewField(id, "callback_id")
			if cb == "create_machine" || cb == "request_machine" {
				viewID, callbackID = id, cb
				return true
			}
		}
		return false
	})
	if err != nil {
		w.t.Fatalf("form did not open: %v", err)
	}
	return viewID, callbackID
}

// viewField returns a top-level string field of a stored view.
func (w *world) viewField(id, field string) string {
	raw, ok := w.slack.View(id)
	if !ok {
		return ""
	}
	var v map[string]any
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	s, _ := v[field].(string)
	return s
}

// submit sends a view submission of view id with values, as user.
func (w *world) submit(user, viewID string, values fakeslack.Values) fakeslack.Ack {
	w.t.Helper()
	return w.send(w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
		UserID: user,
		View:   fakeslack.ViewArgs{ID: viewID, Values: values},
	}))
}

// removed marks a field that formValues leaves out.
var removed = fakeslack.StateValue{Type: "removed"}

// formValues returns valid form values, changed by the given overrides
// (removed leaves the field out).
func formValues(overrides map[string]fakeslack.StateValue) fakeslack.Values {
	fields := map[string]fakeslack.StateValue{
		"machine_name": fakeslack.TextValue("gpu-box-1"),
		"region":       fakeslack.SelectValue("East Coast (NY2)", "East Coast (NY2)"),
		"machine_type": fakeslack.SelectValue("Air", "Air"),
		"template":     fakeslack.ExternalSelectValue("t123abc", "Windows 10"),
		"storage_size": fakeslack.SelectValue("50", "50 GB"),
		"assignee":     fakeslack.ExternalSelectValue("u123abc", "Jon Snow"),
	}
	for k, v := range overrides {
		if v.Type == removed.Type {
			delete(fields, k)
			continue
		}
		fields[k] = v
	}
	values := fakeslack.Values{}
	for k, v := range fields {
		values[k] = map[string]fakeslack.StateValue{k: v}
	}
	return values
}

// waitMessage waits for a message in channel whose text or blocks contain
// every one of the strings.
func (w *world) waitMessage(channel string, contains ...string) fakeslack.Message {
	w.t.Helper()
	msg, err := w.slack.WaitMessage(w.ctx(15*time.Second), func(m fakeslack.Message) bool {
		if channel != "" && m.Channel != channel {
			return false
		}
		return containsAll(m.Text+string(m.Blocks), contains...)
	})
	if err != nil {
		w.t.Fatalf("no message in %s containing %q: %v\nmessages:\n%s", channel, contains, err, w.dumpMessages())
	}
	return msg
}

// waitReply waits for a thread reply in channel containing the strings.
func (w *world) waitReply(channel string, contains ...string) fakeslack.Message {
	w.t.Helper()
	msg, err := w.slack.WaitMessage(w.ctx(15*time.Second), func(m fakeslack.Message) bool {
		return m.Channel == channel && m.ThreadTS != "" && m.ThreadTS != m.TS && containsAll(m.Text+string(m.Blocks), contains...)
	})
	if err != nil {
		w.t.Fatalf("no reply in %s containing %q: %v\nmessages:\n%s", channel, contains, err, w.dumpMessages())
	}
	return msg
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

func (w *world) dumpMessages() string {
	var b strings.Builder
	for _, m := range w.slack.AllMessages() {
		fmt.Fprintf(&b, "- %s %s (thread %s, ephemeral %v, user %s, updates %d): %s\n", m.Channel, m.TS, m.ThreadTS, m.Ephemeral, m.User, m.Updates, m.Text)
	}
	return b.String()
}

// createBodies returns the JSON bodies the Core API's create endpoint
// received.
func (w *world) createBodies() []map[string]any {
	var out []map[string]any
	for _, r := range w.core.RequestsTo(fakecoreapi.PathCreateMachine) {
		var body map[string]any
		if err := json.Unmarshal(r.Body, &body); err != nil {
			w.t.Fatalf("create body is not JSON: %v", err)
		}
		out = append(out, body)
	}
	return out
}
