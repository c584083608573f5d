package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestAdminCreatesMachine(t *testing.T) {
	w := newWorld(t)
	w.start()

	viewID, callback := w.openForm(adminID, "gpu-box-1")
	if callback != "create_machine" {
		t.Fatalf("form callback_id = %q, want create_machine", callback)
	}
	if opens := w.slack.CallsTo("views.open"); len(opens) != 1 {
		t.Errorf("views.open calls = %d, want 1", len(opens))
	}
	ack := w.submit(adminID, viewID, formValues(nil))
	if len(ack.Payload) != 0 && string(ack.Payload) != "null" {
		t.Errorf("submission ack payload = %s, want empty (close the modal)", ack.Payload)
	}

	details := w.waitMessage(channelID, "gpu-box-1", "ps", "Requested by", adminID)
	bodies := w.createBodies()
	if len(bodies) != 1 {
		t.Fatalf("create calls = %d, want 1", len(bodies))
	}
	want := map[string]any{
		"region":      "East Coast (NY2)",
		"machineType": "Air",
		"size":        float64(50),
		"billingType": "hourly",
		"machineName": "gpu-box-1",
		"templateId":  "t123abc",
		"userId":      "u123abc",
	}
	if !reflect.DeepEqual(bodies[0], want) {
		t.Errorf("create body = %v, want %v", bodies[0], want)
	}
	header := w.core.RequestsTo(fakecoreapi.PathCreateMachine)[0].Header
	if got := header.Get("x-api-key"); got != fakecoreapi.DefaultAPIKey {
		t.Errorf("x-api-key = %q, want the configured key", got)
	}

	machines := w.core.Machines()
	var machineID string
	for _, m := range machines {
		if m.Name == "gpu-box-1" {
			machineID = m.ID
		}
	}
	if machineID == "" {
		t.Fatalf("fake Core API has no machine gpu-box-1: %+v", machines)
	}
	for _, want := range []string{machineID, "East Coast (NY2)", "Air", "Air hourly", "u123abc"} {
		w.waitMessage(channelID, want)
	}
	if !strings.Contains(string(details.Blocks), "Public IP") {
		t.Errorf("details message has no Public IP field: %s", details.Blocks)
	}

	reply := w.waitReply(channelID, "is ready")
	if reply.ThreadTS != details.TS {
		t.Errorf("ready reply thread_ts = %q, want the details message %q", reply.ThreadTS, details.TS)
	}
}

func TestCreateValidationErrors(t *testing.T) {
	w := newWorld(t)
	w.start()

	tests := []struct {
		name      string
		overrides map[string]fakeslack.StateValue
		wantKeys  []string
	}{
		{"missing name", map[string]fakeslack.StateValue{"machine_name": removed}, []string{"machine_name"}},
		{"name too long", map[string]fakeslack.StateValue{"machine_name": fakeslack.TextValue(strings.Repeat("n", 65))}, []string{"machine_name"}},
		{"unknown region", map[string]fakeslack.StateValue{"region": fakeslack.SelectValue("Mars (MRS1)", "Mars")}, []string{"region"}},
		{"unknown machine type", map[string]fakeslack.StateValue{"machine_type": fakeslack.SelectValue("Z9000", "Z9000")}, []string{"machine_type"}},
		{"unlisted size", map[string]fakeslack.StateValue{"storage_size": fakeslack.SelectValue("70", "70 GB")}, []string{"storage_size"}},
		{"no assignee", map[string]fakeslack.StateValue{"assignee": removed}, []string{"assignee"}},
		{"assignee and new user", map[string]fakeslack.StateValue{
			"new_user_email":      fakeslack.TextValue("new@example.com"),
			"new_user_first_name": fakeslack.TextValue("New"),
			"new_user_last_name":  fakeslack.TextValue("User"),
		}, []string{"assignee"}},
		{"bad new user email", map[string]fakeslack.StateValue{
			"assignee":            removed,
			"new_user_email":      fakeslack.TextValue("not-an-email"),
			"new_user_first_name": fakeslack.TextValue("New"),
			"new_user_last_name":  fakeslack.TextValue("User"),
		}, []string{"new_user_email"}},
		{"partial new user", map[string]fakeslack.StateValue{
			"assignee":       removed,
			"new_user_email": fakeslack.TextValue("new@example.com"),
		}, []string{"new_user_first_name", "new_user_last_name"}},
		{"bad notification email", map[string]fakeslack.StateValue{"notification_email": fakeslack.TextValue("ops@")}, []string{"notification_email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			viewID, _ := w.openForm(adminID, "")
			ack := w.submit(adminID, viewID, formValues(tt.overrides))
			var got struct {
				ResponseAction string            `json:"response_action"`
				Errors         map[string]string `json:"errors"`
			}
			if err := json.Unmarshal(ack.Payload, &got); err != nil {
				t.Fatalf("ack payload %s: %v", ack.Payload, err)
			}
			if got.ResponseAction != "errors" {
				t.Fatalf("response_action = %q, want errors (payload %s)", got.ResponseAction, ack.Payload)
			}
			var keys []string
			for k := range got.Errors {
				keys = append(keys, k)
			}
			if !sameSet(keys, tt.wantKeys) {
				t.Errorf("error keys = %v, want %v (%v)", keys, tt.wantKeys, got.Errors)
			}
		})
	}
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]bool{}
	for _, x := range a {
		seen[x] = true
	}
	for _, x := range b {
		if !seen[x] {
			return false
		}
	}
	return true
}

func TestTemplateSearch(t *testing.T) {
	w := newWorld(t)
	w.start()
	viewID, _ := w.openForm(adminID, "")

	tests := []struct {
		query   string
		wantIDs []string
	}{
		{"windows", []string{"t123abc"}},
		{"ubuntu", []string{"tibsmjg", "t456def"}},
		{"t456", []string{"t456def"}},
		{"no such template", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ack := w.send(w.slack.BlockSuggestion(fakeslack.BlockSuggestionArgs{
				UserID: adminID, ActionID: "template", BlockID: "template", Value: tt.query,
				View: fakeslack.ViewArgs{ID: viewID},
			}))
			var got struct {
				Options *[]struct {
					Value string `json:"value"`
				} `json:"options"`
			}
			if err := json.Unmarshal(ack.Payload, &got); err != nil {
				t.Fatalf("ack payload %s: %v", ack.Payload, err)
			}
			if got.Options == nil {
				t.Fatalf("ack payload %s has no options array", ack.Payload)
			}
			var ids []string
			for _, o := range *got.Options {
				ids = append(ids, o.Value)
			}
			if !sameSet(ids, tt.wantIDs) {
				t.Errorf("options = %v, want %v", ids, tt.wantIDs)
			}
		})
	}
}

func TestWarningUserCreatedMachineNot(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status:           400,
		Body:             `{"error":{"name":"Error","status":400,"message":"machineType P5000 is not available in this region"}}`,
		AfterUserCreated: true,
		Times:            1,
	})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, newUserValues("grace@example.com"))

	warning := w.waitMessage(channelID, ":warning:", "grace@example.com", "Retry")
	var userID string
	for _, u := range w.core.Users() {
		if u.Email == "grace@example.com" {
			userID = u.ID
		}
	}
	if userID == "" {
		t.Fatal("the fake Core API did not create the user")
	}
	if !strings.Contains(warning.Text+string(warning.Blocks), userID) {
		t.Errorf("warning does not name the new user %s:\n%s", userID, warning.Blocks)
	}
	if !strings.Contains(string(warning.Blocks), "not available in this region") {
		t.Errorf("warning does not quote the Core API's message:\n%s", warning.Blocks)
	}

	// The password went to the admin alone, by DM.
	body := w.createBodies()[0]
	password, _ := body["password"].(string)
	if password == "" {
		t.Fatalf("create body has no password: %v", body)
	}
	var holders []string
	err := w.slack.WaitFor(w.ctx(10*time.Second), func() bool {
		holders = holders[:0]
		for _, m := range w.slack.AllMessages() {
			if strings.Contains(m.Text+string(m.Blocks), password) {
				holders = append(holders, m.Channel)
			}
		}
		return len(holders) > 0
	})
	if err != nil {
		t.Fatalf("no message carries the password: %v\n%s", err, w.dumpMessages())
	}
	if len(holders) != 1 || holders[0] != w.slack.DMChannel(adminID) {
		t.Errorf("password found in %v, want only the admin's DM %s", holders, w.slack.DMChannel(adminID))
	}
}

func TestWarningNothingCreated(t *testing.T) {
	w := newWorld(t)
	w.start()
	w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status: 400,
		Body:   `{"error":{"name":"Error","status":400,"message":"templateId not found"}}`,
		Times:  1,
	})

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, newUserValues("hopper@example.com"))

	warning := w.waitMessage(channelID, ":warning:", "hopper@example.com", "templateId")
	text := warning.Text + string(warning.Blocks)
	if !strings.Contains(text, "does not exist") && !strings.Contains(text, "was not created") {
		t.Errorf("warning does not say the user was not created:\n%s", warning.Blocks)
	}
	for _, u := range w.core.Users() {
		if u.Email == "hopper@example.com" {
			t.Errorf("the fake Core API has the user %s, want none", u.ID)
		}
	}
}

func newUserValues(email string) fakeslack.Values {
	return formValues(map[string]fakeslack.StateValue{
		"assignee":            removed,
		"new_user_email":      fakeslack.TextValue(email),
		"new_user_first_name": fakeslack.TextValue("Grace"),
		"new_user_last_name":  fakeslack.TextValue("Hopper"),
	})
}

func TestMemberRefused(t *testing.T) {
	w := newWorld(t)
	w.start()

	env := w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: memberID, ChannelID: channelID, Command: "/paperspace", Text: "create sneaky"})
	w.send(env)
	refusal := w.waitEphemeral(memberID, "Only team admins")
	if !strings.Contains(refusal.Text+string(refusal.Blocks), adminID) {
		t.Errorf("refusal does not name an admin to ask: %s", refusal.Text)
	}
	if n := len(w.slack.CallsTo("views.open")); n != 0 {
		t.Errorf("views.open calls = %d, want 0 for a member", n)
	}

	// A forged submission of the admin form.
	ack := w.send(w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{
		UserID: memberID,
		View: fakeslack.ViewArgs{
			ID:              "V_FORGED",
			CallbackID:      "create_machine",
			PrivateMetadata: `{"c":"` + channelID + `"}`,
			Values:          formValues(nil),
		},
	}))
	if strings.Contains(string(ack.Payload), `"errors"`) {
		t.Errorf("forged submission got field errors, want a refusal: %s", ack.Payload)
	}
	w.waitEphemeral(memberID, "Only team admins can create machines")
	time.Sleep(200 * time.Millisecond)
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

// waitEphemeral waits for a message only user can see, however it was
// sent: chat.postEphemeral or the response_url.
func (w *world) waitEphemeral(user string, contains ...string) fakeslack.Message {
	w.t.Helper()
	msg, err := w.slack.WaitMessage(w.ctx(10*time.Second), func(m fakeslack.Message) bool {
		return m.Ephemeral && m.User == user && containsAll(m.Text+string(m.Blocks), contains...)
	})
	if err != nil {
		w.t.Fatalf("no ephemeral message for %s containing %q: %v\n%s", user, contains, err, w.dumpMessages())
	}
	return msg
}

func TestDryRunSkipsCreate(t *testing.T) {
	w := newWorld(t)
	w.env["DRY_RUN"] = "true"
	w.start()

	viewID, _ := w.openForm(adminID, "")
	w.submit(adminID, viewID, formValues(nil))
	w.waitMessage(channelID, "gpu-box-1", "Dry run")
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0 with DRY_RUN", n)
	}
}

func TestHelpAndUnknownSubcommand(t *testing.T) {
	w := newWorld(t)
	w.start()

	w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: memberID, ChannelID: channelID, Command: "/paperspace", Text: "help"}))
	help := w.waitEphemeral(memberID, "create", "status", "templates")
	for _, sub := range []string{"requests", "list", "help"} {
		if !strings.Contains(help.Text+string(help.Blocks), sub) {
			t.Errorf("help does not mention %q", sub)
		}
	}
	w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: memberID, ChannelID: channelID, Command: "/paperspace", Text: "destroy everything"}))
	w.waitEphemeral(memberID, "Unknown subcommand", "destroy", "create")
}
