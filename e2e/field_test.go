package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// logLines returns the bot's JSON log lines, decoded. Lines that are not
// JSON, such as the one main prints for bad settings, come back with only
// "message" set.
func logLines(logs string) []map[string]any {
	var out []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(logs), "\n") {
		if raw == "" {
			continue
		}
		var line map[string]any
		if json.Unmarshal([]byte(raw), &line) != nil {
			line = map[string]any{"message": raw}
		}
		out = append(out, line)
	}
	return out
}

// lineText returns a log line's message and error as one string.
func lineText(line map[string]any) string {
	msg, _ := line["message"].(string)
	errText, _ := line["error"].(string)
	return msg + " " + errText
}

// TestWrongTokenStopsAtStart starts the bot with Slack tokens that are
// swapped, of the wrong kind, or unknown to Slack. It must exit non-zero
// at once, with a line naming the variable at fault, after one attempt.
func TestWrongTokenStopsAtStart(t *testing.T) {
	tests := []struct {
		name     string
		app, bot string
		wantCode int
		// want is what the line naming the fault contains.
		want []string
		// connects is how often apps.connections.open may be called.
		connects int
	}{
		{"swapped", fakeslack.DefaultBotToken, fakeslack.DefaultAppToken, 2,
			[]string{"SLACK_APP_TOKEN holds a bot token", "SLACK_BOT_TOKEN holds an app-level token"}, 0},
		{"user token as bot token", fakeslack.DefaultAppToken, "xoxp-1234-5678-user", 2,
			[]string{"SLACK_BOT_TOKEN holds a user token"}, 0},
		{"unknown app token", "xapp-1-A0OTHER-999-unknown", fakeslack.DefaultBotToken, 1,
			[]string{"SLACK_APP_TOKEN"}, 1},
		{"unknown bot token", fakeslack.DefaultAppToken, "xoxb-999-unknown", 1,
			[]string{"SLACK_BOT_TOKEN"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.env["SLACK_APP_TOKEN"] = tt.app
			w.env["SLACK_BOT_TOKEN"] = tt.bot
			p := w.launch()
			code := p.wait(t, 30*time.Second)
			logs := p.logs.String()

			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\nlogs:\n%s", code, tt.wantCode, logs)
			}
			var naming []string
			for _, line := range logLines(logs) {
				text := lineText(line)
				if containsAll(text, tt.want...) {
					naming = append(naming, text)
				}
			}
			if len(naming) == 0 {
				t.Errorf("no log line contains %q:\n%s", tt.want, logs)
			}
			if n := len(w.slack.CallsTo("apps.connections.open")); n != tt.connects {
				t.Errorf("apps.connections.open calls = %d, want %d", n, tt.connects)
			}
			for _, secret := range []string{fakeslack.DefaultAppToken, fakeslack.DefaultBotToken, tt.app, tt.bot} {
				if strings.Contains(logs, secret) {
					t.Errorf("logs contain the token %q", secret)
				}
			}
			if len(naming) > 1 {
				t.Errorf("the cause is logged on %d lines, want one:\n%s", len(naming), strings.Join(naming, "\n"))
			}
		})
	}
}

// TestTriggerExpiredTellsInvoker expires the trigger of "/paperspace
// create" before the bot opens the form. The invoker must get an ephemeral
// message to run the command again, and the log line must carry their
// user id.
func TestTriggerExpiredTellsInvoker(t *testing.T) {
	w := newWorld(t)
	p := w.start()

	env := w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: adminID, ChannelID: channelID, Command: "/paperspace", Text: "create gpu-late"})
	w.slack.ExpireTrigger(env.Payload.(map[string]any)["trigger_id"].(string))
	w.send(env)

	notice := w.waitEphemeral(adminID, "again", "/paperspace create")
	if notice.Channel != channelID {
		t.Errorf("message in %s, want %s", notice.Channel, channelID)
	}
	if views := w.slack.ViewIDs(); len(views) != 0 {
		t.Errorf("open views = %v, want none", views)
	}
	err := poll(w.ctx(10*time.Second), func() bool {
		for _, line := range logLines(p.logs.String()) {
			if line["user_id"] == adminID && strings.Contains(lineText(line), "trigger") {
				return true
			}
		}
		return false
	})
	if err != nil {
		t.Errorf("no log line about the trigger with user_id %s: %v", adminID, err)
	}
}

// TestResultWhereBotCannotPost runs the create flow in a private channel
// the bot has not joined and in a DM the bot cannot see. The machine's
// details must reach the admin by DM, and the response_url must tell them
// how to invite the bot.
func TestResultWhereBotCannotPost(t *testing.T) {
	tests := []struct {
		name    string
		channel string
		config  fakeslack.ChannelConfig
	}{
		{"not in channel", "C_PRIVATE", fakeslack.ChannelConfig{Exists: true}},
		{"channel not found", "D_OTHERS", fakeslack.ChannelConfig{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			w.slack.SetChannel(tt.channel, tt.config)
			w.start()

			w.send(w.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: adminID, ChannelID: tt.channel, Command: "/paperspace", Text: "create gpu-hidden"}))
			var viewID string
			err := w.slack.WaitFor(w.ctx(10*time.Second), func() bool {
				for _, id := range w.slack.ViewIDs() {
					if w.viewField(id, "callback_id") == "create_machine" {
						viewID = id
						return true
					}
				}
				return false
			})
			if err != nil {
				t.Fatalf("form did not open: %v", err)
			}
			w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{"machine_name": fakeslack.TextValue("gpu-hidden")}))

			dm := w.slack.DMChannel(adminID)
			w.waitMessage(dm, "gpu-hidden", "is ready")
			hint, err := w.slack.WaitResponsePost(w.ctx(10*time.Second), func(p fakeslack.ResponsePost) bool {
				return p.Error == "" && strings.Contains(p.Text+string(p.Blocks), "/invite")
			})
			if err != nil {
				t.Fatalf("no response_url post with the invite hint: %v", err)
			}
			if hint.ResponseType != "ephemeral" {
				t.Errorf("hint response_type = %q, want ephemeral", hint.ResponseType)
			}
			if n := len(w.createBodies()); n != 1 {
				t.Errorf("create calls = %d, want 1", n)
			}
		})
	}
}

// TestAPIKeyRejected covers the Core API's response to a bad key, HTTP 400
// {"status":400,"message":"Invalid API token"}: at start the bot stops
// with a line about PAPERSPACE_API_KEY; later, a create that meets it
// tells the admin that the key was rejected, not that a field is wrong.
func TestAPIKeyRejected(t *testing.T) {
	t.Run("at start", func(t *testing.T) {
		w := newWorld(t)
		w.env["PAPERSPACE_API_KEY"] = "a-key-the-team-revoked"
		p := w.launch()
		code := p.wait(t, 30*time.Second)
		logs := p.logs.String()
		if code == 0 {
			t.Errorf("exit code = 0, want non-zero\nlogs:\n%s", logs)
		}
		found := false
		for _, line := range logLines(logs) {
			if strings.Contains(lineText(line), "PAPERSPACE_API_KEY was rejected") {
				found = true
			}
		}
		if !found {
			t.Errorf("no log line says PAPERSPACE_API_KEY was rejected:\n%s", logs)
		}
		if strings.Contains(logs, "a-key-the-team-revoked") {
			t.Error("logs contain the API key")
		}
		if n := len(w.slack.CallsTo("apps.connections.open")); n != 0 {
			t.Errorf("apps.connections.open calls = %d, want 0", n)
		}
	})

	t.Run("later", func(t *testing.T) {
		w := newWorld(t)
		w.start()
		w.core.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
			Status: 400,
			Body:   `{"status":400,"message":"Invalid API token"}`,
			Times:  1,
		})
		viewID, _ := w.openForm(adminID, "gpu-key")
		w.submit(adminID, viewID, formValues(map[string]fakeslack.StateValue{"machine_name": fakeslack.TextValue("gpu-key")}))

		warning := w.waitMessage(channelID, ":warning:", "gpu-key", "PAPERSPACE_API_KEY")
		text := warning.Text + string(warning.Blocks)
		if !strings.Contains(text, "API key") {
			t.Errorf("warning does not say the API key was rejected:\n%s", text)
		}
		if strings.Contains(text, "because of the") {
			t.Errorf("warning blames a field for a rejected key:\n%s", text)
		}
	})
}
