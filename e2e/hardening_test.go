package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestReconcileSkipsOtherRequestsMachine(t *testing.T) {
	w := newWorld(t)
	w.start()
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	w.waitReply(channelID, "is ready")

	// A second create of the same name whose answer is lost and which
	// created nothing: the first request's machine is not its result.
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status: 502, Body: "<html><body>Bad gateway</body></html>", Times: 1,
	})
	viewID, _ = w.openForm(admin2ID, "")
	w.submit(admin2ID, viewID, formValues(nil))
	warning := w.waitMessage(channelID, ":warning:", "retry_create")
	if strings.Contains(warning.Text, "Found by reconciliation") {
		t.Errorf("the second request took the first one's machine: %s", warning.Text)
	}
	if n := len(w.core.Machines()); n != 1 {
		t.Errorf("machines = %d, want 1", n)
	}
}

func TestEchoedPasswordRedacted(t *testing.T) {
	w := newWorld(t)
	p := w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status:           400,
		Body:             `{"error":{"name":"Error","status":400,"message":"\"password\" with value \"` + fakecoreapi.PasswordPlaceholder + `\" fails to match the required pattern"}}`,
		AfterUserCreated: true,
		Times:            1,
	})
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, newUserValues("echo@example.com"))
	w.waitMessage(channelID, ":warning:", "fails to match")

	password, _ := w.createBodies()[0]["password"].(string)
	if password == "" {
		t.Fatal("create body has no password")
	}
	// Let the DM and the logs settle.
	w.waitMessage(w.slack.DMChannel(adminID), password)
	for _, m := range w.slack.AllMessages() {
		if m.Channel != w.slack.DMChannel(adminID) && strings.Contains(m.Text+string(m.Blocks), password) {
			t.Errorf("message in %s carries the password: %s", m.Channel, m.Text)
		}
	}
	if strings.Contains(p.logs.String(), password) {
		t.Errorf("logs carry the password")
	}
	files, _ := filepath.Glob(filepath.Join(w.dir, "bot.db*"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), password) {
			t.Errorf("store file %s carries the password", filepath.Base(f))
		}
	}
}

func TestNewUserEmailOfExistingUser(t *testing.T) {
	w := newWorld(t)
	w.start()
	viewID, _ := w.openForm(adminID, "")
	// jon@example.com is the fake Core API's user u123abc.
	ack := w.submit(adminID, viewID, newUserValues("jon@example.com"))
	var got struct {
		Errors map[string]string `json:"errors"`
	}
	_ = json.Unmarshal(ack.Payload, &got)
	if !strings.Contains(got.Errors["new_user_email"], "u123abc") {
		t.Errorf("errors = %v, want new_user_email to point at the existing user u123abc", got.Errors)
	}
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

func TestWatchSurvivesOneNotFound(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.core.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{
		Status: 404, Body: `{"error":{"name":"Error","status":404,"message":"Machine not found"}}`, Times: 1,
	})
	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	w.waitReply(channelID, "is ready")
}

func TestUndecodableSubmissionGetsNotice(t *testing.T) {
	w := newWorld(t)
	w.start()
	env := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{ID: "V_GARBAGE", CallbackID: "create_machine"}})
	payload, _ := json.Marshal(env.Payload)
	var fields map[string]any
	_ = json.Unmarshal(payload, &fields)
	view := fields["view"].(map[string]any)
	view["state"] = map[string]any{"values": "not a map"}
	env.Payload = fields
	ack := w.send(env)
	if !strings.Contains(string(ack.Payload), "could not read this form") {
		t.Errorf("ack = %s, want a notice that the form could not be read", ack.Payload)
	}
	time.Sleep(100 * time.Millisecond)
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

func TestDecisionOnUnknownRequest(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	w.send(w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: adminID, View: fakeslack.ViewArgs{
		ID: "V_DENY", CallbackID: "deny_request", PrivateMetadata: `{"q":"rnosuchreq","mc":"` + approvalChannel + `"}`,
		Values: fakeslack.Values{"deny_reason": {"deny_reason": fakeslack.TextValue("no")}},
	}}))
	w.waitEphemeral(adminID, "was not found")
}

func TestSlowAdminLookupFailsClosedInTime(t *testing.T) {
	w := newWorld(t)
	w.env["ADMIN_USER_IDS"] = ""
	w.env["ADMIN_USERGROUP_IDS"] = "S_ADMINS"
	w.slack.AddUserGroup("S_ADMINS", adminID)
	w.start()
	w.slack.Inject("usergroups.users.list", fakeslack.Fault{Delay: 5 * time.Second})

	// Nothing is cached for the admin yet, so the submission needs the slow
	// lookup. send fails the test when the ack comes after Slack's 3 s.
	w.send(w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
		UserID: adminID,
		View: fakeslack.ViewArgs{
			ID: "V_DIRECT", CallbackID: "create_machine",
			PrivateMetadata: `{"c":"` + channelID + `"}`, Values: formValues(nil),
		},
	}))
	w.waitEphemeral(adminID, "Could not check your admin status")
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0 when the admin check could not finish", n)
	}
}
