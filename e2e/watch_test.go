package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// createAndPin submits a valid form and, as soon as the machine exists,
// pins its state so the watch sees only what the test sets. It returns
// the machine id.
func (w *world) createAndPin(state string) string {
	w.t.Helper()
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	var machineID string
	if err := poll(w.ctx(10*time.Second), func() bool {
		for _, m := range w.core.Machines() {
			machineID = m.ID
		}
		return machineID != ""
	}); err != nil {
		w.t.Fatal("no machine was created")
	}
	w.core.SetMachineState(machineID, state)
	return machineID
}

func TestStartEventErrorWarns(t *testing.T) {
	w := newWorld(t)
	w.env["WATCH_INTERVAL"] = "500ms"
	w.start()
	machineID := w.createAndPin("off")
	w.core.AddEvent(machineID, paperspace.Event{
		Name: "start", State: "error",
		ErrorMsg: "Uh oh. This machine type can't start due to insufficient capacity or higher than normal demand. Please try again later.",
	})

	warning := w.waitReply(channelID, ":warning:", "insufficient capacity")
	if !strings.Contains(warning.Text+string(warning.Blocks), machineID) {
		t.Errorf("warning does not name the machine %s: %s", machineID, warning.Text)
	}
	for _, m := range w.slack.AllMessages() {
		if m.ThreadTS != "" && strings.Contains(m.Text, "is ready") {
			t.Errorf("machine was called ready: %s", m.Text)
		}
	}
}

func TestWatchTimeoutWarns(t *testing.T) {
	w := newWorld(t)
	w.env["WATCH_INTERVAL"] = "100ms"
	w.env["WATCH_TIMEOUT"] = "1s"
	w.start()
	w.createAndPin("starting")
	w.waitReply(channelID, ":warning:", "did not become ready", "starting")
}

func TestRetryAttemptHandledWhenNew(t *testing.T) {
	w := newWorld(t)
	w.start()
	viewID, _ := w.openForm(adminID, "")
	env := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{ID: viewID, Values: formValues(nil)}})
	// The first delivery never reached the bot; this is Slack's retry.
	env.RetryAttempt = 1
	env.RetryReason = "timeout"
	w.send(env)
	w.waitMessage(channelID, "gpu-box-1", "is ready")
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
}

func TestSeveralMachinesListed(t *testing.T) {
	w := newWorld(t)
	w.env["PAPERSPACE_CREATE_TIMEOUT"] = "1s"
	w.start()
	w.core.AddMachine(paperspace.Machine{Name: "gpu-box-1", State: "ready", MachineType: "Air"})
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{AfterEffect: true, Delay: 5 * time.Second, Status: 504, Times: 1})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	warning := w.waitMessage(channelID, ":warning:", "gpu-box-1")
	for _, m := range w.core.Machines() {
		if !strings.Contains(string(warning.Blocks), m.ID) {
			t.Errorf("warning does not list machine %s:\n%s", m.ID, warning.Blocks)
		}
	}
	if strings.Contains(string(warning.Blocks), "retry_create") {
		t.Errorf("warning offers Retry although machines exist:\n%s", warning.Blocks)
	}
}

func TestRetryReusesCreatedUser(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status: 400, Body: `{"error":{"name":"Error","status":400,"message":"Out of capacity"}}`, AfterUserCreated: true, Times: 1,
	})
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, newUserValues("lovelace@example.com"))
	warning := w.waitMessage(channelID, ":warning:", "retry_create")

	// A member's Retry is refused and changes nothing.
	w.send(w.slack.BlockActions(fakeslack.BlockActionsArgs{
		UserID: memberID, ChannelID: warning.Channel, MessageTS: warning.TS,
		Actions: []fakeslack.Action{{ActionID: "retry_create", BlockID: "retry", Value: buttonValue(t, warning, "retry_create")}},
	}))
	w.waitEphemeral(memberID, "Only team admins")
	if n := len(w.createBodies()); n != 1 {
		t.Fatalf("create calls after a member's Retry = %d, want 1", n)
	}

	w.send(w.slack.BlockActions(fakeslack.BlockActionsArgs{
		UserID: adminID, ChannelID: warning.Channel, MessageTS: warning.TS,
		Actions: []fakeslack.Action{{ActionID: "retry_create", BlockID: "retry", Value: buttonValue(t, warning, "retry_create")}},
	}))
	w.waitMessage(channelID, "gpu-box-1", "is ready")
	bodies := w.createBodies()
	if len(bodies) != 2 {
		t.Fatalf("create calls = %d, want 2", len(bodies))
	}
	var userID string
	for _, u := range w.core.Users() {
		if u.Email == "lovelace@example.com" {
			userID = u.ID
		}
	}
	retry := bodies[1]
	if retry["userId"] != userID || userID == "" {
		t.Errorf("retry userId = %v, want the created user %q", retry["userId"], userID)
	}
	for _, field := range []string{"email", "password", "firstName", "lastName"} {
		if _, ok := retry[field]; ok {
			t.Errorf("retry body has %s, want only the user id: %v", field, retry)
		}
	}
}
