package fakeslack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestPostMessage(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)

	channel, ts, err := api.PostMessageContext(ctx, "C1",
		slack.MsgOptionText("Creating machine", false),
		slack.MsgOptionTS("1700000000.000001"),
		slack.MsgOptionBlocks(slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "Creating", false, false))),
	)
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	checkFields(t, field{"response channel", channel, "C1"})
	if ts == "" {
		t.Errorf("response ts is empty")
	}

	msgs := s.Messages("C1")
	if len(msgs) != 1 {
		t.Fatalf("Messages(C1) = %d messages, want 1", len(msgs))
	}
	m := msgs[0]
	checkFields(t,
		field{"ts", m.TS, ts},
		field{"text", m.Text, "Creating machine"},
		field{"thread_ts", m.ThreadTS, "1700000000.000001"},
		field{"ephemeral", m.Ephemeral, false},
		field{"via", m.Via, "chat.postMessage"},
	)
	var blocks []map[string]any
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil || len(blocks) != 1 || blocks[0]["type"] != "header" {
		t.Errorf("blocks = %s (%v), want one header block", m.Blocks, err)
	}
}

func TestPostMessageAnswerShape(t *testing.T) {
	s := newServer(t)
	body := postForm(t, s, "chat.postMessage", map[string][]string{
		"token": {s.BotToken()}, "channel": {"C1"}, "text": {"hi"},
	})
	msg, _ := body["message"].(map[string]any)
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"ok", body["ok"], true},
		{"channel", body["channel"], "C1"},
		{"message.ts", msg["ts"], body["ts"]},
		{"message.text", msg["text"], "hi"},
		{"message.user", msg["user"], s.BotUserID()},
		{"message.type", msg["type"], "message"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestTimestampsIncrease(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	prev := ""
	for i := range 20 {
		_, ts, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText(fmt.Sprint(i), false))
		if err != nil {
			t.Fatal(err)
		}
		if ts <= prev {
			t.Fatalf("ts %q after %q, want increasing", ts, prev)
		}
		prev = ts
	}
}

func TestPostToUserGoesToDM(t *testing.T) {
	s := newServer(t)
	channel, _, err := newClient(s).PostMessageContext(testContext(t), "U42", slack.MsgOptionText("decided", false))
	if err != nil {
		t.Fatal(err)
	}
	dm := s.DMChannel("U42")
	if !strings.HasPrefix(dm, "D") || channel != dm {
		t.Errorf("response channel = %q, DMChannel = %q, want the same D... id", channel, dm)
	}
	if got := len(s.Messages(dm)); got != 1 {
		t.Errorf("Messages(%s) = %d, want 1", dm, got)
	}
}

func TestChannelRules(t *testing.T) {
	tests := []struct {
		name      string
		cfg       fakeslack.ChannelConfig
		post      string
		ephemeral string
	}{
		{"member", fakeslack.ChannelConfig{Exists: true, BotIsMember: true}, "", ""},
		{"not a member", fakeslack.ChannelConfig{Exists: true}, "not_in_channel", "not_in_channel"},
		{"missing", fakeslack.ChannelConfig{}, "channel_not_found", "channel_not_found"},
		{"user not in channel", fakeslack.ChannelConfig{Exists: true, BotIsMember: true, Members: []string{"U1"}}, "", "user_not_in_channel"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			api := newClient(s)
			s.SetChannel("C9", tt.cfg)

			_, _, err := api.PostMessageContext(testContext(t), "C9", slack.MsgOptionText("x", false))
			if got := slackErr(err); got != tt.post {
				t.Errorf("chat.postMessage error = %v, want %q", err, tt.post)
			}
			_, err = api.PostEphemeralContext(testContext(t), "C9", "U2", slack.MsgOptionText("x", false))
			if got := slackErr(err); got != tt.ephemeral {
				t.Errorf("chat.postEphemeral error = %v, want %q", err, tt.ephemeral)
			}
		})
	}
}

func TestPostEphemeral(t *testing.T) {
	s := newServer(t)
	ts, err := newClient(s).PostEphemeralContext(testContext(t), "C1", "U7", slack.MsgOptionText("only you", false))
	if err != nil {
		t.Fatal(err)
	}
	eph := s.Ephemerals()
	if len(eph) != 1 {
		t.Fatalf("Ephemerals() = %d, want 1", len(eph))
	}
	checkFields(t,
		field{"ts", eph[0].TS, ts},
		field{"user", eph[0].User, "U7"},
		field{"ephemeral", eph[0].Ephemeral, true},
		field{"text", eph[0].Text, "only you"},
	)
}

func TestUpdateAndDelete(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Creating", false),
		slack.MsgOptionBlocks(slack.NewDividerBlock()))
	if err != nil {
		t.Fatal(err)
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("Ready", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	m, ok := s.Message("C1", ts)
	if !ok {
		t.Fatalf("message %s gone after chat.update", ts)
	}
	checkFields(t, field{"text", m.Text, "Ready"}, field{"updates", m.Updates, 1})
	if m.Blocks == nil {
		t.Errorf("blocks dropped by a text-only update, want them kept")
	}

	if _, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionBlocks()); err != nil {
		t.Fatalf("chat.update clearing blocks: %v", err)
	}
	m, _ = s.Message("C1", ts)
	checkFields(t, field{"updates after blocks=[]", m.Updates, 2})
	if m.Blocks != nil {
		t.Errorf("blocks after blocks=[] = %s, want nil", m.Blocks)
	}

	_, _, _, err = api.UpdateMessageContext(ctx, "C1", "1.000000", slack.MsgOptionText("x", false))
	if got := slackErr(err); got != "message_not_found" {
		t.Errorf("update of unknown ts: %v, want message_not_found", err)
	}

	if _, _, err := api.DeleteMessageContext(ctx, "C1", ts); err != nil {
		t.Fatalf("chat.delete: %v", err)
	}
	if got := len(s.Messages("C1")); got != 0 {
		t.Errorf("messages after delete = %d, want 0", got)
	}
	_, _, err = api.DeleteMessageContext(ctx, "C1", ts)
	if got := slackErr(err); got != "message_not_found" {
		t.Errorf("second delete: %v, want message_not_found", err)
	}
}

func TestUpdateEphemeralIsNotFound(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ts, err := api.PostEphemeralContext(testContext(t), "C1", "U7", slack.MsgOptionText("x", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, _, err = api.UpdateMessageContext(testContext(t), "C1", ts, slack.MsgOptionText("y", false))
	if got := slackErr(err); got != "message_not_found" {
		t.Errorf("update of an ephemeral: %v, want message_not_found", err)
	}
}

func TestMessageBlockLimits(t *testing.T) {
	sectionText := func(n int) map[string]any { return section(strings.Repeat("a", n)) }
	header := func(n int) map[string]any {
		return map[string]any{"type": "header", "text": plain(strings.Repeat("h", n))}
	}
	fields := func(count, size int) map[string]any {
		var list []any
		for range count {
			list = append(list, map[string]any{"type": "mrkdwn", "text": strings.Repeat("f", size)})
		}
		return map[string]any{"type": "section", "fields": list}
	}
	many := func(n int) []map[string]any {
		var list []map[string]any
		for range n {
			list = append(list, map[string]any{"type": "divider"})
		}
		return list
	}
	tests := []struct {
		name   string
		blocks []map[string]any
		want   string
	}{
		{"50 blocks", many(50), ""},
		{"51 blocks", many(51), "invalid_blocks"},
		{"section text 3000", []map[string]any{sectionText(3000)}, ""},
		{"section text 3001", []map[string]any{sectionText(3001)}, "invalid_blocks"},
		{"header 150", []map[string]any{header(150)}, ""},
		{"header 151", []map[string]any{header(151)}, "invalid_blocks"},
		{"10 fields", []map[string]any{fields(10, 10)}, ""},
		{"11 fields", []map[string]any{fields(11, 10)}, "invalid_blocks"},
		{"field 2000", []map[string]any{fields(1, 2000)}, ""},
		{"field 2001", []map[string]any{fields(1, 2001)}, "invalid_blocks"},
		{"duplicate block_id", []map[string]any{
			{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"},
		}, "invalid_blocks"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			data, err := json.Marshal(tt.blocks)
			if err != nil {
				t.Fatal(err)
			}
			body := postForm(t, s, "chat.postMessage", map[string][]string{
				"token": {s.BotToken()}, "channel": {"C1"}, "text": {"t"}, "blocks": {string(data)},
			})
			got, _ := body["error"].(string)
			if got != tt.want {
				t.Errorf("error = %q, want %q (response %v)", got, tt.want, body)
			}
			if tt.want != "" {
				meta, _ := body["response_metadata"].(map[string]any)
				if msgs, _ := meta["messages"].([]any); len(msgs) == 0 {
					t.Errorf("response_metadata.messages is empty, want the problem")
				}
			}
		})
	}
}

func TestNoText(t *testing.T) {
	s := newServer(t)
	_, _, err := newClient(s).PostMessageContext(testContext(t), "C1")
	if got := slackErr(err); got != "no_text" {
		t.Errorf("error = %v, want no_text", err)
	}
}

func TestWaitMessageSeesUpdates(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)
	_, ts, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("Creating", false))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, _, _, err := api.UpdateMessageContext(ctx, "C1", ts, slack.MsgOptionText("Ready", false))
		errc <- err
	}()
	m, err := s.WaitMessage(ctx, func(m fakeslack.Message) bool { return m.Text == "Ready" })
	if err != nil {
		t.Fatalf("WaitMessage: %v", err)
	}
	if m.TS != ts {
		t.Errorf("message ts = %s, want %s", m.TS, ts)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
