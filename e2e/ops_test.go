package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// httpAddr returns the address of the bot's HTTP listener, from its start
// line in the logs.
func (p *process) httpAddr(t *testing.T) string {
	t.Helper()
	var addr string
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := poll(ctx, func() bool {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			var entry struct {
				Message  string `json:"message"`
				HTTPAddr string `json:"http_addr"`
			}
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Message == "serving /healthz, /readyz and /metrics" {
				addr = entry.HTTPAddr
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Fatalf("no HTTP listener start line in the logs: %v\n%s", err, p.logs.String())
	}
	return addr
}

// httpGet returns the status and body of GET http://addr/path.
func httpGet(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// waitHTTP polls GET http://addr/path until it returns status and a body
// containing each of contains, and returns the body.
func (w *world) waitHTTP(addr, path string, status int, contains ...string) string {
	w.t.Helper()
	var gotStatus int
	var gotBody string
	err := poll(w.ctx(15*time.Second), func() bool {
		gotStatus, gotBody = httpGet(w.t, addr, path)
		return gotStatus == status && containsAll(gotBody, contains...)
	})
	if err != nil {
		w.t.Fatalf("GET %s = %d %q, want %d with %q: %v", path, gotStatus, gotBody, status, contains, err)
	}
	return gotBody
}

func TestHealthReadinessAndMetrics(t *testing.T) {
	w := newWorld(t)
	w.env["HTTP_ADDR"] = "127.0.0.1:0"
	p := w.start()
	addr := p.httpAddr(t)

	if status, body := httpGet(t, addr, "/healthz"); status != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", status, body)
	}
	w.waitHTTP(addr, "/readyz", http.StatusOK, "ok")

	viewID, _ := w.openForm(adminID, "gpu-box-1")
	w.submit(adminID, viewID, formValues(nil))
	w.waitMessage(channelID, "gpu-box-1", "Requested by")
	w.waitReply(channelID, "is ready")

	_, metrics := httpGet(t, addr, "/metrics")
	t.Logf("/metrics after one create:\n%s", metrics)
	for _, want := range []string{
		"paperspace_bot_machines_created_total 1\n",
		`paperspace_bot_envelopes_received_total{redelivered="false",type="slash_commands"} 1`,
		`paperspace_bot_envelopes_received_total{redelivered="false",type="interactive"} 1`,
		`paperspace_bot_ack_latency_seconds_count{type="slash_commands"} 1`,
		`paperspace_bot_ack_latency_seconds_count{type="interactive"} 1`,
		`paperspace_bot_core_api_requests_total{endpoint="/machines/createSingleMachinePublic",method="POST",status_class="2xx"} 1`,
		`paperspace_bot_core_api_requests_total{endpoint="/templates/getTemplates",method="GET",status_class="2xx"}`,
		`paperspace_bot_core_api_request_duration_seconds_count{endpoint="/machines/createSingleMachinePublic"} 1`,
		"process_resident_memory_bytes ",
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics has no %q", want)
		}
	}

	// Without Socket Mode the bot is alive but not ready.
	w.slack.RejectConnections("internal_error")
	w.slack.DropConnections()
	w.waitHTTP(addr, "/readyz", http.StatusServiceUnavailable, "socket mode: not connected to Slack")
	if status, _ := httpGet(t, addr, "/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz while disconnected = %d, want 200", status)
	}

	w.slack.RejectConnections("")
	w.waitHTTP(addr, "/readyz", http.StatusOK, "ok")
	w.waitHTTP(addr, "/metrics", http.StatusOK, "paperspace_bot_socket_mode_reconnects_total 1\n")
}

func TestHTTPAddrTaken(t *testing.T) {
	occupied, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer occupied.Close()

	w := newWorld(t)
	w.env["HTTP_ADDR"] = occupied.Addr().String()
	p := w.start()

	logs := p.logs.String()
	if !strings.Contains(logs, "cannot listen for /healthz, /readyz and /metrics") || !strings.Contains(logs, occupied.Addr().String()) {
		t.Errorf("logs do not report the occupied address %s:\n%s", occupied.Addr(), logs)
	}
	// The bot still serves Slack.
	w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: adminID, ChannelID: channelID, Command: "/paperspace", Text: "help"}))
	w.waitEphemeral(adminID, "/paperspace create")

	p.signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
}

// runCheck runs "paperspace-bot check" with w.env and returns its exit
// code, standard output and standard error.
func (w *world) runCheck() (int, string, string) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "check")
	cmd.Dir = w.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + w.dir}
	for k, v := range w.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		exit, ok := err.(*exec.ExitError)
		if !ok {
			w.t.Fatalf("run check: %v", err)
		}
		code = exit.ExitCode()
	}
	return code, stdout.String(), stderr.String()
}

func TestCheckCommand(t *testing.T) {
	tests := []struct {
		name     string
		change   func(w *world)
		wantCode int
		want     []string
	}{
		{
			name:     "all pass",
			wantCode: 0,
			want:     []string{"ok  settings", "ok  auth.test", "ok  socket mode", "ok  Core API key", "ok  store"},
		},
		{
			name:     "API key rejected",
			change:   func(w *world) { w.env["PAPERSPACE_API_KEY"] = "not-the-key" },
			wantCode: 1,
			want: []string{"ok  settings", "ok  auth.test", "ok  socket mode",
				"FAIL Core API key: PAPERSPACE_API_KEY was rejected by the Core API", "ok  store"},
		},
		{
			name:     "setting missing",
			change:   func(w *world) { delete(w.env, "SLACK_APP_TOKEN") },
			wantCode: 1,
			want:     []string{"FAIL settings: SLACK_APP_TOKEN is not set: set it to the app-level token"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.change != nil {
				tt.change(w)
			}
			code, stdout, stderr := w.runCheck()
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("stdout has %d lines, want %d:\n%s", len(lines), len(tt.want), stdout)
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], want)
				}
			}
			for _, secret := range []string{fakeslack.DefaultBotToken, fakeslack.DefaultAppToken, fakecoreapi.DefaultAPIKey} {
				if strings.Contains(stdout+stderr, secret) {
					t.Errorf("check output contains the secret %q", secret)
				}
			}
		})
	}
}

// requestState opens the bot's SQLite store, after the bot has stopped,
// and returns the state of the request for the machine named name.
func requestState(t *testing.T, w *world, name string) paperspacebot.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(w.dir, "bot.db"))
	if err != nil {
		t.Fatalf("open the bot's store: %v", err)
	}
	defer db.Close()
	requests, err := db.ListRequests(ctx, store.Filter{})
	if err != nil {
		t.Fatalf("list requests: %v", err)
	}
	for _, r := range requests {
		if r.Spec.Name == name {
			return r.State
		}
	}
	t.Fatalf("no request for %s among %d requests", name, len(requests))
	return ""
}

func TestSIGTERMDuringCreate(t *testing.T) {
	w := newWorld(t)
	w.env["HTTP_ADDR"] = "127.0.0.1:0"
	p := w.start()
	addr := p.httpAddr(t)
	release := w.core.HoldCreates()
	defer release()

	viewID, _ := w.openForm(adminID, "slow-box")
	w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{"machine_name": fakeslack.TextValue("slow-box")}))
	if _, err := w.core.WaitForRequests(w.ctx(10*time.Second), fakecoreapi.PathCreateMachine, 1); err != nil {
		t.Fatalf("create was not sent: %v", err)
	}

	p.signal(syscall.SIGTERM)
	// The bot stops taking envelopes at once: it closes its Socket Mode
	// connection while the create is still held.
	if err := w.slack.WaitConnections(w.ctx(10*time.Second), 0); err != nil {
		t.Fatalf("Socket Mode connection still open after SIGTERM: %v", err)
	}
	if status, body := httpGet(t, addr, "/healthz"); status != http.StatusOK {
		t.Errorf("GET /healthz while draining = %d %q, want 200", status, body)
	}
	if status, body := httpGet(t, addr, "/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz while draining = %d %q, want 503", status, body)
	}
	select {
	case <-p.done:
		t.Fatalf("bot exited before the create in flight finished; logs:\n%s", p.logs.String())
	default:
	}

	release()
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	machines := w.core.Machines()
	if len(machines) != 1 {
		t.Fatalf("machines = %d, want 1", len(machines))
	}
	w.waitMessage(channelID, "slow-box", "Requested by", machines[0].ID)
	if state := requestState(t, w, "slow-box"); state != paperspacebot.StateCreated {
		t.Errorf("request state after the stop = %s, want %s", state, paperspacebot.StateCreated)
	}
	logs := p.logs.String()
	for _, want := range []string{"socket mode stopping", "stopping: finishing the work in flight", "machine created", "store closed", `"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs have no %q", want)
		}
	}
	if strings.Index(logs, "machine created") < strings.Index(logs, "stopping: finishing the work in flight") {
		t.Errorf("the machine was created before the stop began; the test did not hold the create")
	}
}

func TestShutdownTimeoutBoundsWait(t *testing.T) {
	w := newWorld(t)
	w.env["SHUTDOWN_TIMEOUT"] = "1s"
	p := w.start()
	release := w.core.HoldCreates()
	defer release()

	viewID, _ := w.openForm(adminID, "stuck-box")
	w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{"machine_name": fakeslack.TextValue("stuck-box")}))
	if _, err := w.core.WaitForRequests(w.ctx(10*time.Second), fakecoreapi.PathCreateMachine, 1); err != nil {
		t.Fatalf("create was not sent: %v", err)
	}

	p.signal(syscall.SIGTERM)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}
	if logs := p.logs.String(); !strings.Contains(logs, "still running when the shutdown timeout passed") &&
		!strings.Contains(logs, "still in flight when the shutdown timeout passed") {
		t.Errorf("logs do not say the shutdown timeout cut the wait short:\n%s", logs)
	}
	// The request stays creating, for the next start to reconcile.
	if state := requestState(t, w, "stuck-box"); state != paperspacebot.StateCreating {
		t.Errorf("request state after the stop = %s, want %s", state, paperspacebot.StateCreating)
	}
}

// Secrets of the no-secrets test. Each contains a marker that appears
// nowhere else, so that a partly masked or cut copy is found too.
const (
	secretBotToken = "xoxb-e2e-SECRETBOT7f3a91"
	secretAppToken = "xapp-1-e2e-SECRETAPP2c8d45"
	secretAPIKey   = "e2e-SECRETKEY9b1e07"
)

// newSecretWorld returns a world whose fakes accept only the secrets above.
func newSecretWorld(t *testing.T) *world {
	t.Helper()
	s := fakeslack.New(fakeslack.WithPingInterval(time.Second), fakeslack.WithLogf(t.Logf),
		fakeslack.WithBotToken(secretBotToken), fakeslack.WithAppToken(secretAppToken))
	t.Cleanup(s.Close)
	core := fakecoreapi.New(fakecoreapi.WithReadyAfter(2), fakecoreapi.WithAPIKey(secretAPIKey))
	t.Cleanup(core.Close)
	s.AddUser(slack.User{ID: adminID, Name: "ada", Profile: slack.UserProfile{Email: "ada@example.com", RealName: "Ada Admin"}})
	dir := t.TempDir()
	return &world{
		t:     t,
		slack: s,
		core:  core,
		dir:   dir,
		env: map[string]string{
			"SLACK_APP_TOKEN":    secretAppToken,
			"SLACK_BOT_TOKEN":    secretBotToken,
			"SLACK_API_URL":      s.APIURL(),
			"PAPERSPACE_API_KEY": secretAPIKey,
			"PAPERSPACE_API_URL": core.URL(),
			"ADMIN_USER_IDS":     adminID,
			"DATABASE_URL":       filepath.Join(dir, "bot.db"),
			"HTTP_ADDR":          "127.0.0.1:0",
			"WATCH_INTERVAL":     "50ms",
			"LOG_LEVEL":          "trace",
		},
	}
}

// secretForms returns the ways text can carry secret: as is, escaped in
// JSON and escaped in a URL.
func secretForms(secret string) []string {
	quoted, _ := json.Marshal(secret)
	forms := []string{secret, string(quoted[1 : len(quoted)-1]), url.QueryEscape(secret), url.PathEscape(secret)}
	return forms
}

// findSecrets returns the names of the secrets that text contains.
func findSecrets(text string, secrets map[string]string) []string {
	var found []string
	for name, secret := range secrets {
		for _, form := range secretForms(secret) {
			if strings.Contains(text, form) {
				found = append(found, name)
				break
			}
		}
	}
	return found
}

func TestNoSecretsInLogsOrMessages(t *testing.T) {
	w := newSecretWorld(t)
	p := w.start()
	addr := p.httpAddr(t)
	// One rate-limited post, so that the retry path logs too.
	w.slack.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Times: 1})

	// A create for a new user: the bot generates a password.
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, newUserValues("grace@example.com"))
	w.waitMessage(channelID, "gpu-box-1", "Requested by")
	w.waitReply(channelID, "is ready")
	// A failed create whose error body echoes the API key; the bot quotes
	// the Core API's message in its warning.
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status:           400,
		Body:             `{"error":{"name":"Error","status":400,"message":"key ` + secretAPIKey + ` may not create machineType P5000"}}`,
		AfterUserCreated: true,
		Times:            1,
	})
	viewID, _ = w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{
		"machine_name":        fakeslack.TextValue("gpu-box-2"),
		"assignee":            removed,
		"new_user_email":      fakeslack.TextValue("hopper@example.com"),
		"new_user_first_name": fakeslack.TextValue("Grace"),
		"new_user_last_name":  fakeslack.TextValue("Hopper"),
	}))
	w.waitMessage(channelID, ":warning:", "hopper@example.com")
	httpGet(t, addr, "/metrics")
	httpGet(t, addr, "/readyz")

	secrets := map[string]string{
		"SLACK_BOT_TOKEN":    secretBotToken,
		"SLACK_APP_TOKEN":    secretAppToken,
		"PAPERSPACE_API_KEY": secretAPIKey,
		"bot token marker":   "SECRETBOT7f3a91",
		"app token marker":   "SECRETAPP2c8d45",
		"API key marker":     "SECRETKEY9b1e07",
	}
	bodies := w.createBodies()
	if len(bodies) != 2 {
		t.Fatalf("create calls = %d, want 2", len(bodies))
	}
	passwords := map[string]string{}
	for i, body := range bodies {
		password, _ := body["password"].(string)
		if password == "" {
			t.Fatalf("create %d has no password: %v", i+1, body)
		}
		passwords[fmt.Sprintf("password of create %d", i+1)] = password
	}

	// The admin gets each password by DM, and that DM is the only place
	// it may appear.
	adminDM := w.slack.DMChannel(adminID)
	for name, password := range passwords {
		_, err := w.slack.WaitMessage(w.ctx(10*time.Second), func(m fakeslack.Message) bool {
			return m.Channel == adminDM && strings.Contains(m.Text+string(m.Blocks), password)
		})
		if err != nil {
			t.Errorf("the %s was not sent to the admin by DM: %v\n%s", name, err, w.dumpMessages())
		}
	}

	p.signal(syscall.SIGTERM)
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Errorf("exit code = %d, want 0", code)
	}

	all := map[string]string{}
	for k, v := range secrets {
		all[k] = v
	}
	for k, v := range passwords {
		all[k] = v
	}
	if found := findSecrets(p.logs.String(), all); len(found) > 0 {
		t.Errorf("the bot's logs contain %v", found)
	}
	for _, m := range w.slack.AllMessages() {
		text := m.Text + string(m.Blocks) + string(m.Metadata)
		check := all
		if m.Channel == adminDM {
			check = secrets
		}
		if found := findSecrets(text, check); len(found) > 0 {
			t.Errorf("message %s in %s (via %s) contains %v: %s", m.TS, m.Channel, m.Via, found, m.Text)
		}
	}
	for id, view := range w.slack.Views() {
		if found := findSecrets(string(view), all); len(found) > 0 {
			t.Errorf("view %s contains %v", id, found)
		}
	}
	for _, ack := range w.slack.Acks() {
		if found := findSecrets(string(ack.Payload), all); len(found) > 0 {
			t.Errorf("ack of %s contains %v", ack.EnvelopeID, found)
		}
	}
	for _, post := range w.slack.ResponseURLPosts() {
		data, _ := json.Marshal(post)
		if found := findSecrets(string(data), all); len(found) > 0 {
			t.Errorf("response_url post contains %v", found)
		}
	}
	// Nothing secret is stored either: the database files hold no copy.
	files, _ := filepath.Glob(filepath.Join(w.dir, "bot.db*"))
	if len(files) == 0 {
		t.Errorf("no database file in %s", w.dir)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("read %s: %v", file, err)
		}
		if found := findSecrets(string(data), all); len(found) > 0 {
			t.Errorf("%s contains %v", filepath.Base(file), found)
		}
	}
}
