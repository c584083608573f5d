package fakeslack_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// smClient runs slack-go's Socket Mode client against the fake and passes
// on the events a bot would handle.
type smClient struct {
	client *socketmode.Client
	events chan socketmode.Event
}

type discardLogger struct{}

func (discardLogger) Output(int, string) error { return nil }

// runSocketMode starts slack-go's client. clientPingTimeout is how long the
// client waits for a server ping before it reconnects.
func runSocketMode(t *testing.T, s *fakeslack.Server, clientPingTimeout time.Duration) *smClient {
	t.Helper()
	api := slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
	client := socketmode.New(api, socketmode.OptionPingInterval(clientPingTimeout), socketmode.OptionLog(discardLogger{}))
	sm := &smClient{client: client, events: make(chan socketmode.Event, 100)}

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = client.RunContext(ctx) })
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				switch evt.Type {
				case socketmode.EventTypeHello, socketmode.EventTypeSlashCommand,
					socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
					select {
					case sm.events <- evt:
					case <-ctx.Done():
						return
					}
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return sm
}

// next returns the next event of type want, skipping others.
func (sm *smClient) next(t *testing.T, want socketmode.EventType) socketmode.Event {
	t.Helper()
	ctx := testContext(t)
	for {
		select {
		case evt := <-sm.events:
			if evt.Type == want {
				return evt
			}
		case <-ctx.Done():
			t.Fatalf("no %s event before the deadline", want)
		}
	}
}

func TestSocketModeHello(t *testing.T) {
	s := newServer(t)
	sm := runSocketMode(t, s, time.Minute)
	hello := sm.next(t, socketmode.EventTypeHello)
	req := hello.Request
	checkFields(t,
		field{"num_connections", req.NumConnections, 1},
		field{"app_id", req.ConnectionInfo.AppID, s.AppID()},
		field{"debug_info.host", req.DebugInfo.Host, "fake-1"},
	)
	if got := s.Connections(); got != 1 {
		t.Errorf("Connections() = %d, want 1", got)
	}
}

func TestSocketModeSlashCommandAck(t *testing.T) {
	s := newServer(t)
	sm := runSocketMode(t, s, time.Minute)
	sm.next(t, socketmode.EventTypeHello)

	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", ChannelID: "C1", Text: "create gpu-box"})
	if err := s.Send(env); err != nil {
		t.Fatalf("Send: %v", err)
	}
	evt := sm.next(t, socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("event data = %T, want slack.SlashCommand", evt.Data)
	}
	checks := []struct{ field, got, want string }{
		{"envelope_id", evt.Request.EnvelopeID, env.EnvelopeID},
		{"user_id", cmd.UserID, "U1"},
		{"channel_id", cmd.ChannelID, "C1"},
		{"command", cmd.Command, fakeslack.DefaultCommand},
		{"text", cmd.Text, "create gpu-box"},
		{"team_id", cmd.TeamID, s.TeamID()},
		{"api_app_id", cmd.APIAppID, s.AppID()},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if cmd.TriggerID == "" || !strings.Contains(cmd.ResponseURL, "/response/") {
		t.Errorf("trigger_id %q response_url %q, want both set", cmd.TriggerID, cmd.ResponseURL)
	}
	if !evt.Request.AcceptsResponsePayload {
		t.Errorf("accepts_response_payload = false, want true")
	}

	if err := sm.client.Ack(*evt.Request, map[string]any{"text": "Opening the form…"}); err != nil {
		t.Fatalf("Ack: %v", err)
	}
	ack, err := s.WaitAck(testContext(t), env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, field{"ack error", ack.Error, ""})
	if !strings.Contains(string(ack.Payload), "Opening the form") {
		t.Errorf("ack payload = %s, want the text sent", ack.Payload)
	}
	sent, ok := s.SentAt(env.EnvelopeID)
	if !ok || ack.At.Before(sent) {
		t.Errorf("SentAt = %v (%v), ack at %v, want sent before ack", sent, ok, ack.At)
	}
	eph := s.Ephemerals()
	if len(eph) != 1 {
		t.Fatalf("ephemerals = %+v, want the ack's text", eph)
	}
	checkFields(t,
		field{"user", eph[0].User, "U1"},
		field{"channel", eph[0].Channel, "C1"},
		field{"via", eph[0].Via, "ack"},
	)
}

func TestSocketModeInteractionPayloads(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	sm := runSocketMode(t, s, time.Minute)
	sm.next(t, socketmode.EventTypeHello)

	req := modalRequest("create_machine")
	req.PrivateMetadata = `{"channel":"C1"}`
	opened, err := api.OpenViewContext(testContext(t), s.NewTriggerID(), req)
	if err != nil {
		t.Fatal(err)
	}
	_, ts, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText("request", false))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		env   fakeslack.Envelope
		check func(t *testing.T, cb slack.InteractionCallback)
	}{
		{"view submission", s.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: "U1",
			View: fakeslack.ViewArgs{ID: opened.View.ID, Values: fakeslack.Values{
				"machine_name": {"machine_name": fakeslack.TextValue("gpu-box")},
				"region":       {"region": fakeslack.SelectValue("East Coast (NY2)", "New York")},
				"template":     {"template": fakeslack.ExternalSelectValue("t123", "Ubuntu")},
			}},
		}), func(t *testing.T, cb slack.InteractionCallback) {
			values := cb.View.State.Values
			checks := []struct{ field, got, want string }{
				{"type", string(cb.Type), "view_submission"},
				{"user", cb.User.ID, "U1"},
				{"view id", cb.View.ID, opened.View.ID},
				{"callback_id", cb.View.CallbackID, "create_machine"},
				{"private_metadata", cb.View.PrivateMetadata, `{"channel":"C1"}`},
				{"hash", cb.View.Hash, opened.View.Hash},
				{"machine_name", values["machine_name"]["machine_name"].Value, "gpu-box"},
				{"region", values["region"]["region"].SelectedOption.Value, "East Coast (NY2)"},
				{"template", values["template"]["template"].SelectedOption.Value, "t123"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
		}},
		{"block actions in a message", s.BlockActions(fakeslack.BlockActionsArgs{
			UserID:    "U2",
			ChannelID: "C1",
			MessageTS: ts,
			Actions:   []fakeslack.Action{{ActionID: "approve_request", BlockID: "decision", Value: "req-7", Text: "Approve"}},
		}), func(t *testing.T, cb slack.InteractionCallback) {
			if len(cb.ActionCallback.BlockActions) != 1 {
				t.Fatalf("actions = %d, want 1", len(cb.ActionCallback.BlockActions))
			}
			action := cb.ActionCallback.BlockActions[0]
			checks := []struct{ field, got, want string }{
				{"type", string(cb.Type), "block_actions"},
				{"action_id", action.ActionID, "approve_request"},
				{"value", action.Value, "req-7"},
				{"container channel", cb.Container.ChannelID, "C1"},
				{"container ts", cb.Container.MessageTs, ts},
				{"message ts", cb.Message.Timestamp, ts},
				{"message text", cb.Message.Text, "request"},
				{"channel", cb.Channel.ID, "C1"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if cb.TriggerID == "" || cb.ResponseURL == "" {
				t.Errorf("trigger_id %q response_url %q, want both set", cb.TriggerID, cb.ResponseURL)
			}
		}},
		{"block suggestion", s.BlockSuggestion(fakeslack.BlockSuggestionArgs{
			UserID:   "U1",
			ActionID: "template",
			BlockID:  "template",
			Value:    "ubu",
			View:     fakeslack.ViewArgs{ID: opened.View.ID},
		}), func(t *testing.T, cb slack.InteractionCallback) {
			checks := []struct{ field, got, want string }{
				{"type", string(cb.Type), "block_suggestion"},
				{"action_id", cb.ActionID, "template"},
				{"block_id", cb.BlockID, "template"},
				{"value", cb.Value, "ubu"},
				{"view callback_id", cb.View.CallbackID, "create_machine"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Send(tt.env); err != nil {
				t.Fatal(err)
			}
			evt := sm.next(t, socketmode.EventTypeInteractive)
			cb, ok := evt.Data.(slack.InteractionCallback)
			if !ok {
				t.Fatalf("event data = %T, want slack.InteractionCallback", evt.Data)
			}
			tt.check(t, cb)
		})
	}
}

func TestSocketModePings(t *testing.T) {
	const clientTimeout = 300 * time.Millisecond
	tests := []struct {
		name           string
		serverInterval time.Duration
		wantReconnect  bool
	}{
		{"pings keep the client connected", 50 * time.Millisecond, false},
		{"no pings make the client reconnect", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, fakeslack.WithPingInterval(tt.serverInterval))
			sm := runSocketMode(t, s, clientTimeout)
			sm.next(t, socketmode.EventTypeHello)

			if tt.wantReconnect {
				err := s.WaitFor(testContext(t), func() bool { return s.TotalConnections() >= 2 })
				if err != nil {
					t.Fatalf("client never reconnected: %v", err)
				}
				return
			}
			// The client gives up after clientTimeout without a ping, so
			// four of its timeouts must pass without a reconnect.
			<-time.After(4 * clientTimeout)
			if got := s.TotalConnections(); got != 1 {
				t.Errorf("TotalConnections() = %d after %v, want 1", got, 4*clientTimeout)
			}
		})
	}
}

func TestSocketModeRefreshRequested(t *testing.T) {
	s := newServer(t, fakeslack.WithDisconnectGrace(time.Hour))
	sm := runSocketMode(t, s, time.Minute)
	sm.next(t, socketmode.EventTypeHello)

	s.Disconnect("refresh_requested")
	sm.next(t, socketmode.EventTypeHello)
	err := s.WaitFor(testContext(t), func() bool { return s.TotalConnections() == 2 && s.Connections() == 1 })
	if err != nil {
		t.Fatalf("total %d open %d: %v", s.TotalConnections(), s.Connections(), err)
	}

	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Send(env); err != nil {
		t.Fatal(err)
	}
	evt := sm.next(t, socketmode.EventTypeSlashCommand)
	if err := sm.client.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	ack, err := s.WaitAck(testContext(t), env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if want := s.ConnectionIDs()[0]; ack.Conn != want {
		t.Errorf("ack on connection %d, want the new connection %d", ack.Conn, want)
	}
}

func TestSocketModeBroadcastToTwoClients(t *testing.T) {
	s := newServer(t)
	first := runSocketMode(t, s, time.Minute)
	first.next(t, socketmode.EventTypeHello)
	second := runSocketMode(t, s, time.Minute)
	if got := second.next(t, socketmode.EventTypeHello).Request.NumConnections; got != 2 {
		t.Errorf("second hello num_connections = %d, want 2", got)
	}

	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Broadcast(env); err != nil {
		t.Fatal(err)
	}
	for i, sm := range []*smClient{first, second} {
		evt := sm.next(t, socketmode.EventTypeSlashCommand)
		if evt.Request.EnvelopeID != env.EnvelopeID {
			t.Errorf("client %d envelope = %q, want %q", i, evt.Request.EnvelopeID, env.EnvelopeID)
		}
		if err := sm.client.Ack(*evt.Request); err != nil {
			t.Fatal(err)
		}
	}
	err := s.WaitFor(testContext(t), func() bool { return len(s.Acks()) == 2 })
	if err != nil {
		t.Fatalf("acks = %d: %v", len(s.Acks()), err)
	}
	acks := s.Acks()
	if acks[0].Conn == acks[1].Conn {
		t.Errorf("both acks came on connection %d, want one from each", acks[0].Conn)
	}
}
