package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/store"
)

const approvalChannel = "C_APPROVALS"

// newApprovalWorld returns a world with requests enabled.
func newApprovalWorld(t *testing.T) *world {
	w := newWorld(t)
	w.env["APPROVAL_CHANNEL_ID"] = approvalChannel
	return w
}

// request runs the member's request form and returns the request message
// posted in the approvals channel.
func (w *world) request(member string, overrides map[string]fakeslack.StateValue) fakeslack.Message {
	w.t.Helper()
	viewID, callback := w.openForm(member, "")
	if callback != "request_machine" {
		w.t.Fatalf("member form callback_id = %q, want request_machine", callback)
	}
	raw, _ := w.slack.View(viewID)
	if !strings.Contains(string(raw), "review") || !strings.Contains(string(raw), `"Request"`) {
		w.t.Errorf("request form does not say an admin reviews it, or its submit label is not Request:\n%s", raw)
	}
	values := formValues(map[string]fakeslack.StateValue{"assignee": removed})
	for k, v := range overrides {
		values[k] = map[string]fakeslack.StateValue{k: v}
	}
	w.submit(member, viewID, values)
	msg := w.waitMessage(approvalChannel, "approve_request", "deny_request")
	w.waitEphemeral(member, approvalChannel)
	return msg
}

// click presses a button of msg as user.
func (w *world) click(user string, msg fakeslack.Message, actionID string) fakeslack.Envelope {
	w.t.Helper()
	env := w.slack.BlockActions(fakeslack.BlockActionsArgs{
		UserID: user, ChannelID: msg.Channel, MessageTS: msg.TS,
		Actions: []fakeslack.Action{{ActionID: actionID, BlockID: "actions", Value: buttonValue(w.t, msg, actionID)}},
	})
	w.send(env)
	return env
}

// waitView waits for a view with callbackID whose JSON contains every string,
// and returns its id.
func (w *world) waitView(callbackID string, contains ...string) string {
	w.t.Helper()
	var found string
	err := w.slack.WaitFor(w.ctx(10*time.Second), func() bool {
		for _, id := range w.slack.ViewIDs() {
			raw, _ := w.slack.View(id)
			if w.viewField(id, "callback_id") == callbackID && containsAll(string(raw), contains...) {
				found = id
				return true
			}
		}
		return false
	})
	if err != nil {
		w.t.Fatalf("no %s view containing %q: %v", callbackID, contains, err)
	}
	return found
}

func TestMemberRequestApprovedWithEdit(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	requestMsg := w.request(memberID, nil)
	if !containsAll(string(requestMsg.Blocks), memberID, "gpu-box-1", "East Coast (NY2)", "Air", "t123abc") {
		t.Errorf("request message lacks a field:\n%s", requestMsg.Blocks)
	}

	w.click(adminID, requestMsg, "approve_request")
	// The requester's Slack email (jon@example.com) is Paperspace user u123abc.
	viewID := w.waitView("approve_request", "u123abc")
	values := formValues(map[string]fakeslack.StateValue{
		"machine_type": fakeslack.SelectValue("C4", "C4"),
	})
	w.submit(adminID, viewID, values)

	w.waitMessage(channelID, "gpu-box-1", "is ready")
	bodies := w.createBodies()
	if len(bodies) != 1 {
		t.Fatalf("create calls = %d, want 1", len(bodies))
	}
	if bodies[0]["machineType"] != "C4" || bodies[0]["userId"] != "u123abc" {
		t.Errorf("create body = %v, want machineType C4 for user u123abc", bodies[0])
	}
	decided := w.waitMessage(approvalChannel, "Approved by", adminID)
	if strings.Contains(string(decided.Blocks), "approve_request") {
		t.Errorf("decided request message still has buttons:\n%s", decided.Blocks)
	}
	w.waitMessage(w.slack.DMChannel(memberID), "approved")

	trail := auditTrail(t, w, "gpu-box-1")
	wantActions := []struct{ action, actor string }{{"request", memberID}, {"approve", adminID}, {"create_result", "system"}}
	for _, want := range wantActions {
		found := false
		for _, e := range trail {
			if e.Action == want.action && e.Actor == want.actor {
				found = true
			}
		}
		if !found {
			t.Errorf("audit trail has no %s by %s: %+v", want.action, want.actor, trail)
		}
	}
}

func TestMemberRequestDenied(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	requestMsg := w.request(memberID, nil)

	w.click(adminID, requestMsg, "deny_request")
	viewID := w.waitView("deny_request")
	w.submit(adminID, viewID, fakeslack.Values{
		"deny_reason": {"deny_reason": fakeslack.TextValue("Use the shared GPU pool this week.")},
	})

	dm := w.waitMessage(w.slack.DMChannel(memberID), "denied", "shared GPU pool")
	if !strings.Contains(dm.Text, "shared GPU pool") {
		t.Errorf("DM fallback text lacks the reason: %q", dm.Text)
	}
	decided := w.waitMessage(approvalChannel, "Denied by", adminID)
	if strings.Contains(string(decided.Blocks), "deny_request") {
		t.Errorf("decided request message still has buttons:\n%s", decided.Blocks)
	}
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

func TestDenyReasonValidated(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	requestMsg := w.request(memberID, nil)
	w.click(adminID, requestMsg, "deny_request")
	viewID := w.waitView("deny_request")

	for _, reason := range []string{"", strings.Repeat("x", 501)} {
		ack := w.submit(adminID, viewID, fakeslack.Values{"deny_reason": {"deny_reason": fakeslack.TextValue(reason)}})
		if !strings.Contains(string(ack.Payload), `"deny_reason"`) {
			t.Errorf("reason of %d characters: ack = %s, want an error on deny_reason", len(reason), ack.Payload)
		}
	}
}

func TestTwoAdminsApproveAtOnce(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	requestMsg := w.request(memberID, nil)

	w.click(adminID, requestMsg, "approve_request")
	w.click(admin2ID, requestMsg, "approve_request")
	var views []string
	if err := w.slack.WaitFor(w.ctx(10*time.Second), func() bool {
		views = views[:0]
		for _, id := range w.slack.ViewIDs() {
			raw, _ := w.slack.View(id)
			if w.viewField(id, "callback_id") == "approve_request" && strings.Contains(string(raw), "u123abc") {
				views = append(views, id)
			}
		}
		return len(views) == 2
	}); err != nil {
		t.Fatalf("two approval forms did not open: %v", err)
	}

	var wg sync.WaitGroup
	for i, user := range []string{adminID, admin2ID} {
		env := w.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: user, View: fakeslack.ViewArgs{ID: views[i], Values: formValues(nil)}})
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = w.slack.Send(env)
		}()
	}
	wg.Wait()

	w.waitMessage(channelID, "gpu-box-1", "is ready")
	w.slack.WaitMessage(w.ctx(10*time.Second), func(m fakeslack.Message) bool {
		return m.Ephemeral && strings.Contains(m.Text, "already approved by")
	})
	if n := len(w.createBodies()); n != 1 {
		t.Errorf("create calls = %d, want 1", n)
	}
}

func TestNonAdminPressesApprove(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	requestMsg := w.request(memberID, nil)
	opens := len(w.slack.CallsTo("views.open"))

	w.click(memberID, requestMsg, "approve_request")
	w.waitEphemeral(memberID, "Only team admins can approve")
	if n := len(w.slack.CallsTo("views.open")); n != opens {
		t.Errorf("views.open calls = %d, want %d (no approval form for a member)", n, opens)
	}
	current, _ := w.slack.Message(requestMsg.Channel, requestMsg.TS)
	if current.Updates != 0 || !strings.Contains(string(current.Blocks), "approve_request") {
		t.Errorf("request message changed after a member's click (updates %d)", current.Updates)
	}
	if n := len(w.createBodies()); n != 0 {
		t.Errorf("create calls = %d, want 0", n)
	}
}

func TestRequesterWithoutPaperspaceUser(t *testing.T) {
	w := newApprovalWorld(t)
	w.slack.AddUser(slack.User{ID: "U_NEWBIE", Name: "newbie", Profile: slack.UserProfile{Email: "newbie@example.com"}})
	w.start()
	requestMsg := w.request("U_NEWBIE", nil)

	w.click(adminID, requestMsg, "approve_request")
	viewID := w.waitView("approve_request", "newbie@example.com", "has no Paperspace user")
	raw, _ := w.slack.View(viewID)
	if strings.Contains(string(raw), "u123abc") {
		t.Errorf("approval form assigns a user although the requester has none:\n%s", raw)
	}
	// Submitting without a user is refused inline.
	ack := w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{"assignee": removed}))
	if !strings.Contains(string(ack.Payload), `"assignee"`) {
		t.Errorf("ack = %s, want an error on assignee", ack.Payload)
	}
}

func TestRequestExpires(t *testing.T) {
	w := newApprovalWorld(t)
	w.env["REQUEST_EXPIRY"] = "1s"
	w.start()
	requestMsg := w.request(memberID, nil)

	w.waitMessage(approvalChannel, "Expired")
	w.waitMessage(w.slack.DMChannel(memberID), "expired")
	w.click(adminID, requestMsg, "approve_request")
	w.waitEphemeral(adminID, "already expired")
}

func TestRequestsListedToAdmins(t *testing.T) {
	w := newApprovalWorld(t)
	w.start()
	w.request(memberID, nil)

	w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: adminID, ChannelID: channelID, Command: "/paperspace", Text: "requests"}))
	w.waitEphemeral(adminID, "gpu-box-1", memberID)
	w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: memberID, ChannelID: channelID, Command: "/paperspace", Text: "requests"}))
	w.waitEphemeral(memberID, "Only team admins")
}

// auditTrail opens the bot's SQLite store and returns the audit trail of
// the request for the machine named name.
func auditTrail(t *testing.T, w *world, name string) []paperspacebot.AuditEntry {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	db, err := store.Open(ctx, filepath.Join(w.dir, "bot.db"))
	if err != nil {
		t.Fatalf("open the bot's store: %v", err)
	}
	defer db.Close()
	reqs, err := db.ListRequests(ctx, store.Filter{})
	if err != nil {
		t.Fatalf("list requests: %v", err)
	}
	for _, r := range reqs {
		if r.Spec.Name == name {
			trail, err := db.AuditTrail(ctx, r.ID)
			if err != nil {
				t.Fatalf("audit trail: %v", err)
			}
			return trail
		}
	}
	data, _ := json.Marshal(reqs)
	t.Fatalf("no request for %s in %s", name, data)
	return nil
}
