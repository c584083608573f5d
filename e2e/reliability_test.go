package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestRedeliveredSubmissionCreatesOnce(t *testing.T) {
	w := newWorld(t)
	w.start()
	viewID, _ := w.openForm(adminID, "")

	env := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{ID: viewID, Values: formValues(nil)}})
	w.send(env)
	if err := w.slack.Redeliver(env.EnvelopeID, 1); err != nil {
		t.Fatalf("redeliver: %v", err)
	}
	// The same submission in a new envelope, as a double click sends it.
	again := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{ID: viewID, Values: formValues(nil)}})
	w.send(again)

	w.waitMessage(channelID, "gpu-box-1", "is ready")
	acks := 0
	for _, a := range w.slack.Acks() {
		if a.EnvelopeID == env.EnvelopeID {
			acks++
		}
	}
	if acks != 2 {
		t.Errorf("acks of the redelivered envelope = %d, want 2 (one per delivery)", acks)
	}
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
}

func TestCreateTimeoutMachineFound(t *testing.T) {
	w := newWorld(t)
	w.env["PAPERSPACE_CREATE_TIMEOUT"] = "1s"
	w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{AfterEffect: true, Delay: 5 * time.Second, Status: 504, Times: 1})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))

	details := w.waitMessage(channelID, "gpu-box-1", "Found by reconciliation")
	if strings.Contains(string(details.Blocks), "retry_create") {
		t.Errorf("details offer Retry although the machine was found:\n%s", details.Blocks)
	}
	for _, m := range w.slack.AllMessages() {
		if strings.Contains(string(m.Blocks), "retry_create") {
			t.Errorf("a message offers Retry although the machine was found: %s", m.Text)
		}
	}
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
	if n := len(w.core.Machines()); n != 1 {
		t.Errorf("machines = %d, want 1", n)
	}
}

func TestCreateTimeoutRetryCreates(t *testing.T) {
	w := newWorld(t)
	w.env["PAPERSPACE_CREATE_TIMEOUT"] = "1s"
	w.start()
	// The first create hangs past the timeout and then creates nothing.
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Delay: 5 * time.Second, Times: 1})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))

	warning := w.waitMessage(channelID, ":warning:", "retry_create")
	requestID := buttonValue(t, warning, "retry_create")
	if n := len(w.core.Machines()); n != 0 {
		t.Fatalf("machines after the timeout = %d, want 0", n)
	}

	w.send(w.slack.BlockActions(fakeslack.BlockActionsArgs{
		UserID: adminID, ChannelID: warning.Channel, MessageTS: warning.TS,
		Actions: []fakeslack.Action{{ActionID: "retry_create", BlockID: "retry", Value: requestID}},
	}))
	w.waitMessage(channelID, "gpu-box-1", "is ready")
	if n := len(w.createBodies()); n != 2 {
		t.Errorf("create calls = %d, want 2 (the lost one and the retry)", n)
	}
	if n := len(w.core.Machines()); n != 1 {
		t.Errorf("machines = %d, want 1", n)
	}
}

func TestKilledDuringCreateReconciles(t *testing.T) {
	for _, tt := range []struct {
		name       string
		instanceID string
	}{
		{"new instance id", ""},
		{"same instance id", "bot-0"},
	} {
		t.Run(tt.name, func(t *testing.T) { testKilledDuringCreate(t, tt.instanceID) })
	}
}

// testKilledDuringCreate kills the bot while its create call waits for an
// answer, starts it again (with instanceID when set, else a new default),
// and checks the request is reconciled without a second create.
func testKilledDuringCreate(t *testing.T, instanceID string) {
	w := newWorld(t)
	if instanceID != "" {
		w.env["INSTANCE_ID"] = instanceID
	}
	first := w.start()
	// The machine is created, but the answer never comes before the kill.
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{AfterEffect: true, Delay: time.Minute, Status: 504, Times: 1})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	if _, err := w.core.WaitForRequests(w.ctx(10*time.Second), fakecoreapi.PathCreateMachine, 1); err != nil {
		t.Fatalf("create was not sent: %v", err)
	}
	first.signal(syscall.SIGKILL)
	first.wait(t, 10*time.Second)

	restarted := time.Now()
	w.start()
	details := w.waitMessage(channelID, "gpu-box-1", "Found by reconciliation")
	t.Logf("reconciled %s after the restart", time.Since(restarted).Round(time.Millisecond))
	if details.Channel != channelID {
		t.Errorf("result posted in %s, want the request's channel %s", details.Channel, channelID)
	}
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
}

func TestWatchResumesAfterRestart(t *testing.T) {
	w := newWorld(t)
	first := w.start()
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	var machineID string
	if err := poll(w.ctx(10*time.Second), func() bool {
		for _, m := range w.core.Machines() {
			machineID = m.ID
		}
		return machineID != ""
	}); err != nil {
		t.Fatal("no machine was created")
	}
	// Keep the machine starting while the bot is down.
	w.core.SetMachineState(machineID, "starting")
	first.signal(syscall.SIGKILL)
	first.wait(t, 10*time.Second)

	w.start()
	w.waitMessage(channelID, machineID, "starting")
	w.core.SetMachineState(machineID, "ready")
	w.waitReply(channelID, "is ready")
}

func TestTwoAdminsRetryAtOnce(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status: 400, Body: `{"error":{"name":"Error","status":400,"message":"Insufficient capacity"}}`, Times: 1,
	})
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	warning := w.waitMessage(channelID, ":warning:", "retry_create")
	requestID := buttonValue(t, warning, "retry_create")

	var envs []fakeslack.Envelope
	for _, user := range []string{adminID, admin2ID} {
		envs = append(envs, w.slack.BlockActions(fakeslack.BlockActionsArgs{
			UserID: user, ChannelID: warning.Channel, MessageTS: warning.TS,
			Actions: []fakeslack.Action{{ActionID: "retry_create", BlockID: "retry", Value: requestID}},
		}))
	}
	var wg sync.WaitGroup
	for _, env := range envs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.slack.Send(env)
		}()
	}
	wg.Wait()
	w.waitMessage(channelID, "gpu-box-1", "is ready")
	w.slack.WaitMessage(w.ctx(10*time.Second), func(m fakeslack.Message) bool {
		return m.Ephemeral && strings.Contains(m.Text, "already")
	})
	if n := len(w.createBodies()); n != 2 {
		t.Errorf("create calls = %d, want 2 (the failed one and one retry)", n)
	}
}

func TestStoreUnavailableAtStart(t *testing.T) {
	tests := []struct {
		name        string
		databaseURL string
		want        string
	}{
		{"missing folder", "/nonexistent/folder/bot.db", "open store"},
		{"postgres down", "postgres://bot:secret-password@127.0.0.1:1/bot?sslmode=disable&connect_timeout=2", "PostgreSQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.env["DATABASE_URL"] = tt.databaseURL
			p := w.launch()
			if code := p.wait(t, 30*time.Second); code == 0 {
				t.Errorf("exit code = 0, want non-zero")
			}
			logs := p.logs.String()
			if !strings.Contains(logs, tt.want) {
				t.Errorf("logs do not mention %q:\n%s", tt.want, logs)
			}
			if strings.Contains(logs, "secret-password") {
				t.Errorf("logs contain the database password:\n%s", logs)
			}
			if n := len(w.createBodies()); n != 0 {
				t.Errorf("create calls = %d, want 0", n)
			}
		})
	}
}

// TestTwoReplicasCreateOnce runs two bots on one PostgreSQL database and
// one Slack app, and delivers the same submission to both.
func TestTwoReplicasCreateOnce(t *testing.T) {
	databaseURL := freshPostgres(t)
	w := newWorld(t)
	w.env["DATABASE_URL"] = databaseURL
	w.env["REPLICAS"] = "2"
	w.env["INSTANCE_ID"] = "replica-a"
	w.launch()
	w.env["INSTANCE_ID"] = "replica-b"
	w.launch()
	if err := w.slack.WaitConnections(w.ctx(30*time.Second), 2); err != nil {
		t.Fatalf("two replicas did not connect: %v", err)
	}

	viewID, _ := w.openForm(adminID, "")
	env := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{ID: viewID, Values: formValues(nil)}})
	if err := w.slack.Broadcast(env); err != nil {
		t.Fatalf("broadcast: %v", err)
	}
	w.waitMessage(channelID, "gpu-box-1", "is ready")
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
	if n := len(w.core.Machines()); n != 1 {
		t.Errorf("machines = %d, want 1", n)
	}
}

// freshPostgres returns the URL of a new, empty schema in the database of
// TEST_DATABASE_URL, and drops the schema when the test ends. It skips the
// test when TEST_DATABASE_URL is not set.
func freshPostgres(t *testing.T) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		t.Skip("TEST_DATABASE_URL is not set; see README.md, Tests")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open PostgreSQL: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	schema := fmt.Sprintf("e2e_%d", time.Now().UnixNano())
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { _, _ = db.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE") })
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}

// buttonValue returns the value of the button with actionID in msg.
func buttonValue(t *testing.T, msg fakeslack.Message, actionID string) string {
	t.Helper()
	var blocks []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal(msg.Blocks, &blocks); err != nil {
		t.Fatalf("decode blocks: %v", err)
	}
	for _, b := range blocks {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, msg.Blocks)
	return ""
}
