package fakeslack_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestHelloMessage(t *testing.T) {
	s := newServer(t, fakeslack.WithAppID("A123"))
	first := dialRaw(t, s)
	s.SetHelloConnections(7)
	forced := dialRaw(t, s)

	debug, _ := first.hello["debug_info"].(map[string]any)
	info, _ := first.hello["connection_info"].(map[string]any)
	checks := []struct {
		field string
		got   any
		want  any
	}{
		{"type", first.hello["type"], "hello"},
		{"num_connections", first.hello["num_connections"], 1.0},
		{"debug_info.host", debug["host"], "fake-1"},
		{"debug_info.build_number", debug["build_number"], 1.0},
		{"debug_info.approximate_connection_time", debug["approximate_connection_time"], 18060.0},
		{"connection_info.app_id", info["app_id"], "A123"},
		{"forced num_connections", forced.hello["num_connections"], 7.0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.field, c.got, c.want)
		}
	}
}

func TestEnvelopeJSON(t *testing.T) {
	s := newServer(t)
	raw := dialRaw(t, s)
	tests := []struct {
		name      string
		env       fakeslack.Envelope
		wantRetry bool
	}{
		{"slash command", s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"}), false},
		{"events api", fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, Payload: map[string]any{"type": "event_callback"}}, true},
		{"interactive retry", fakeslack.Envelope{Type: fakeslack.TypeInteractive, Payload: map[string]any{}, RetryAttempt: 1, RetryReason: "timeout"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Send(tt.env); err != nil {
				t.Fatal(err)
			}
			msg := raw.read(t)
			checkFields(t, field{"type", msg["type"], tt.env.Type})
			if msg["envelope_id"] == "" || msg["payload"] == nil {
				t.Errorf("envelope = %v, want an id and a payload", msg)
			}
			if msg["accepts_response_payload"] != tt.env.AcceptsResponsePayload {
				t.Errorf("accepts_response_payload = %v, want %v", msg["accepts_response_payload"], tt.env.AcceptsResponsePayload)
			}
			_, hasRetry := msg["retry_attempt"]
			if hasRetry != tt.wantRetry || msg["retry_attempt"] != anyRetry(tt.wantRetry, tt.env.RetryAttempt) {
				t.Errorf("retry_attempt = %v (present %v), want present %v with %d", msg["retry_attempt"], hasRetry, tt.wantRetry, tt.env.RetryAttempt)
			}
		})
	}
}

func anyRetry(present bool, attempt int) any {
	if !present {
		return nil
	}
	return float64(attempt)
}

func TestSendWithoutConnection(t *testing.T) {
	s := newServer(t)
	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Send(env); err == nil || !strings.Contains(err.Error(), "no open Socket Mode connection") {
		t.Errorf("Send error = %v, want no open connection", err)
	}
	if err := s.Broadcast(env); err == nil {
		t.Errorf("Broadcast error = nil, want an error")
	}
	if err := s.SendTo(3, env); err == nil || !strings.Contains(err.Error(), "connection 3 is not open") {
		t.Errorf("SendTo error = %v, want connection 3 is not open", err)
	}
}

func TestSendRoundRobinAndSendTo(t *testing.T) {
	s := newServer(t)
	a := dialRaw(t, s)
	b := dialRaw(t, s)
	for range 4 {
		if err := s.Send(fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, Payload: map[string]any{}}); err != nil {
			t.Fatal(err)
		}
	}
	for name, conn := range map[string]*rawSocket{"first": a, "second": b} {
		for range 2 {
			if msg := conn.read(t); msg["type"] != fakeslack.TypeEventsAPI {
				t.Errorf("%s connection got %v, want an events_api envelope", name, msg)
			}
		}
	}

	ids := s.ConnectionIDs()
	if len(ids) != 2 {
		t.Fatalf("ConnectionIDs() = %v, want 2 ids", ids)
	}
	if err := s.SendTo(ids[1], fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: "to-b", Payload: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if msg := b.read(t); msg["envelope_id"] != "to-b" {
		t.Errorf("second connection got %v, want envelope to-b", msg)
	}
}

func TestTicketsAreSingleUse(t *testing.T) {
	s := newServer(t)
	_, wsURL, err := newClient(s).StartSocketModeContext(testContext(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("first dial: %v", err)
	}
	defer conn.Close()

	tests := []struct{ name, url string }{
		{"used ticket", wsURL},
		{"unknown ticket", strings.Replace(wsURL, "ticket=", "ticket=999", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, resp, err := websocket.DefaultDialer.Dial(tt.url, nil)
			if err == nil {
				t.Fatalf("dial succeeded, want a rejected handshake")
			}
			if resp == nil || resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("response = %v, want 401", resp)
			}
		})
	}
}

func TestRejectConnections(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	s.RejectConnections("too_many_websockets")
	_, _, err := api.StartSocketModeContext(testContext(t))
	if got := slackErr(err); got != "too_many_websockets" {
		t.Errorf("while rejecting: %v, want too_many_websockets", err)
	}
	s.RejectConnections("")
	if _, _, err := api.StartSocketModeContext(testContext(t)); err != nil {
		t.Errorf("after clearing: %v, want nil", err)
	}
}

func TestConnectionFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault func(s *fakeslack.Server)
		// want is the start of what the client reads before the TCP
		// connection ends.
		want []byte
	}{
		{"drop connections sends nothing", (*fakeslack.Server).DropConnections, nil},
		// 0x81 is a final text frame; 126 announces a 16-bit length, 256.
		{"drop mid message sends a truncated frame", (*fakeslack.Server).DropMidMessage, []byte{0x81, 126, 0x01, 0x00, '{'}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, fakeslack.WithPingInterval(0))
			raw := dialRaw(t, s)
			tt.fault(s)

			// Read below gorilla/websocket, which reports both faults as
			// the same abnormal closure.
			netConn := raw.conn.NetConn()
			if err := netConn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(netConn)
			if err != nil {
				t.Fatalf("read until the connection ends: %v", err)
			}
			if !bytes.HasPrefix(got, tt.want) || (tt.want == nil && len(got) != 0) {
				t.Errorf("read % x, want a start of % x", got, tt.want)
			}
			if tt.want != nil && len(got) >= 256 {
				t.Errorf("read %d bytes, want fewer than the 256 the frame announces", len(got))
			}
			if err := s.WaitConnections(testContext(t), 0); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestRefreshRequestedClosesAfterGrace(t *testing.T) {
	s := newServer(t, fakeslack.WithDisconnectGrace(10*time.Millisecond))
	raw := dialRaw(t, s)
	s.Disconnect("refresh_requested")
	if msg := raw.read(t); msg["type"] != "disconnect" || msg["reason"] != "refresh_requested" {
		t.Fatalf("frame = %v, want a refresh_requested disconnect", msg)
	}
	if err := raw.conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatal(err)
	}
	_, _, err := raw.conn.ReadMessage()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("read error = %v, want a normal close after the grace period", err)
	}
	if err := s.WaitConnections(testContext(t), 0); err != nil {
		t.Error(err)
	}
}

func TestDisconnectWarningKeepsConnection(t *testing.T) {
	s := newServer(t, fakeslack.WithDisconnectGrace(time.Millisecond))
	raw := dialRaw(t, s)
	s.Disconnect("warning")
	msg := raw.read(t)
	if msg["type"] != "disconnect" || msg["reason"] != "warning" {
		t.Fatalf("frame = %v, want a disconnect warning", msg)
	}
	debug, _ := msg["debug_info"].(map[string]any)
	if debug["host"] != "fake-1" {
		t.Errorf("debug_info = %v, want host fake-1", msg["debug_info"])
	}
	// The connection still carries envelopes after the warning.
	if err := s.Send(fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: "after", Payload: map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if got := raw.read(t); got["envelope_id"] != "after" {
		t.Errorf("frame = %v, want envelope after", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	s := newServer(t, fakeslack.WithPingInterval(0))
	pinger := dialRaw(t, s)
	dialRaw(t, s) // stays silent until the server closes it
	ids := s.ConnectionIDs()
	pingerID, idleID := ids[0], ids[1]

	stop := make(chan struct{})
	pingsDone := make(chan struct{})
	go func() {
		defer close(pingsDone)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				if err := pinger.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)); err != nil {
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		<-pingsDone
	}()

	// The pinging connection opened first, so without its pings it would
	// time out first.
	s.SetIdleTimeout(150 * time.Millisecond)
	err := s.WaitFor(testContext(t), func() bool { return !slices.Contains(s.ConnectionIDs(), idleID) })
	if err != nil {
		t.Fatalf("idle connection stayed open: %v", err)
	}
	if !slices.Contains(s.ConnectionIDs(), pingerID) {
		t.Errorf("pinging connection %d was closed, want it open (open: %v)", pingerID, s.ConnectionIDs())
	}
}

func TestRedeliver(t *testing.T) {
	s := newServer(t)
	raw := dialRaw(t, s)
	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Send(env); err != nil {
		t.Fatal(err)
	}
	raw.read(t)
	if err := s.Redeliver(env.EnvelopeID, 2); err != nil {
		t.Fatal(err)
	}
	msg := raw.read(t)
	checkFields(t,
		field{"envelope_id", msg["envelope_id"], env.EnvelopeID},
		field{"retry_attempt", msg["retry_attempt"], 2.0},
		field{"retry_reason", msg["retry_reason"], "timeout"},
	)
	if err := s.Redeliver("never-sent", 1); err == nil {
		t.Errorf("Redeliver of an unknown envelope: nil error, want one")
	}
}

func TestRedeliverUnacked(t *testing.T) {
	s := newServer(t)
	raw := dialRaw(t, s)
	s.RedeliverUnacked(20 * time.Millisecond)
	env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})
	if err := s.Send(env); err != nil {
		t.Fatal(err)
	}
	for want := 0; want <= 3; want++ {
		msg := raw.read(t)
		got, _ := msg["retry_attempt"].(float64)
		if msg["envelope_id"] != env.EnvelopeID || int(got) != want {
			t.Fatalf("delivery %d = %v, want %s with retry_attempt %d", want, msg, env.EnvelopeID, want)
		}
	}
	raw.ack(t, env.EnvelopeID, nil)
	if _, err := s.WaitAck(testContext(t), env.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	s.RedeliverUnacked(0)
}

func TestAckEffects(t *testing.T) {
	big := strings.Repeat("x", 21000)
	tests := []struct {
		name    string
		payload func(viewID string) any
		// envelope builds the envelope under test. It defaults to a view
		// submission of the opened view.
		envelope  func(s *fakeslack.Server, viewID string) fakeslack.Envelope
		wantError string
		check     func(t *testing.T, s *fakeslack.Server, viewID string)
	}{
		{name: "empty ack closes the view", payload: func(string) any { return nil }, check: func(t *testing.T, s *fakeslack.Server, id string) {
			if _, ok := s.View(id); ok {
				t.Errorf("view %s still open", id)
			}
		}},
		{name: "errors on an input block keep the view", payload: func(string) any {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"machine_name": "taken"})
		}, check: func(t *testing.T, s *fakeslack.Server, id string) {
			if _, ok := s.View(id); !ok {
				t.Errorf("view %s closed, want open", id)
			}
		}},
		{name: "errors on a non-input block", payload: func(string) any {
			return slack.NewErrorsViewSubmissionResponse(map[string]string{"intro": "bad"})
		}, wantError: "name no input block"},
		{name: "update replaces the view", payload: func(string) any {
			v := modalRequest("working")
			v.ExternalID = "req-9"
			return slack.NewUpdateViewSubmissionResponse(&v)
		}, check: func(t *testing.T, s *fakeslack.Server, id string) {
			raw, ok := s.ViewByExternalID("req-9")
			if !ok {
				t.Fatalf("no view with external_id req-9")
			}
			v := decodeView(t, raw)
			checkFields(t, field{"view id", v.ID, id}, field{"callback_id", v.CallbackID, "working"})
		}},
		{name: "update with a broken view", payload: func(string) any {
			v := modalRequest("working")
			v.Title = slack.NewTextBlockObject("plain_text", strings.Repeat("t", 25), false, false)
			return slack.NewUpdateViewSubmissionResponse(&v)
		}, wantError: "invalid view"},
		{name: "push adds a view", payload: func(string) any {
			v := modalRequest("confirm")
			return slack.NewPushViewSubmissionResponse(&v)
		}, check: func(t *testing.T, s *fakeslack.Server, id string) {
			if got := len(s.ViewIDs()); got != 2 {
				t.Errorf("open views = %d, want 2", got)
			}
		}},
		{name: "clear closes the stack", payload: func(string) any {
			return slack.NewClearViewSubmissionResponse()
		}, check: func(t *testing.T, s *fakeslack.Server, id string) {
			if got := s.ViewIDs(); len(got) != 0 {
				t.Errorf("open views = %v, want none", got)
			}
		}},
		{name: "payload of 20 KiB or more", payload: func(string) any {
			return map[string]any{"text": big}
		}, wantError: "20480 bytes"},
		{name: "slash command in_channel response", payload: func(string) any {
			return map[string]any{"response_type": "in_channel", "text": "Creating gpu-box"}
		}, envelope: func(s *fakeslack.Server, _ string) fakeslack.Envelope {
			return s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", ChannelID: "C5"})
		}, check: func(t *testing.T, s *fakeslack.Server, _ string) {
			msgs := s.Messages("C5")
			if len(msgs) != 1 {
				t.Fatalf("messages in C5 = %+v, want 1", msgs)
			}
			checkFields(t, field{"ephemeral", msgs[0].Ephemeral, false}, field{"text", msgs[0].Text, "Creating gpu-box"})
		}},
		{name: "block suggestion with 101 options", payload: func(string) any {
			var options []any
			for range 101 {
				options = append(options, map[string]any{"text": plain("t"), "value": "v"})
			}
			return map[string]any{"options": options}
		}, envelope: func(s *fakeslack.Server, id string) fakeslack.Envelope {
			return s.BlockSuggestion(fakeslack.BlockSuggestionArgs{UserID: "U1", ActionID: "template", View: fakeslack.ViewArgs{ID: id}})
		}, wantError: "no more than 100 items allowed"},
		{name: "block suggestion with no options", payload: func(string) any {
			return map[string]any{"options": []any{}}
		}, envelope: func(s *fakeslack.Server, id string) fakeslack.Envelope {
			return s.BlockSuggestion(fakeslack.BlockSuggestionArgs{UserID: "U1", ActionID: "template", View: fakeslack.ViewArgs{ID: id}})
		}},
		{name: "block suggestion with good options", payload: func(string) any {
			return map[string]any{"options": []any{map[string]any{"text": plain("Ubuntu"), "value": "t1"}}}
		}, envelope: func(s *fakeslack.Server, id string) fakeslack.Envelope {
			return s.BlockSuggestion(fakeslack.BlockSuggestionArgs{UserID: "U1", ActionID: "template", View: fakeslack.ViewArgs{ID: id}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			raw := dialRaw(t, s)
			body := postJSON(t, s, "views.open", s.BotToken(), map[string]any{
				"trigger_id": s.NewTriggerID(),
				"view":       modal("create_machine", section("intro"), input("machine_name")),
			})
			view, _ := body["view"].(map[string]any)
			viewID, _ := view["id"].(string)
			if viewID == "" {
				t.Fatalf("views.open response = %v, want a view", body)
			}

			env := s.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: "U1", View: fakeslack.ViewArgs{ID: viewID}})
			if tt.envelope != nil {
				env = tt.envelope(s, viewID)
			}
			if err := s.Send(env); err != nil {
				t.Fatal(err)
			}
			raw.read(t)
			raw.ack(t, env.EnvelopeID, tt.payload(viewID))

			ack, err := s.WaitAck(testContext(t), env.EnvelopeID)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantError == "" && ack.Error != "" {
				t.Errorf("ack error = %q, want none", ack.Error)
			}
			if tt.wantError != "" && !strings.Contains(ack.Error, tt.wantError) {
				t.Errorf("ack error = %q, want one containing %q", ack.Error, tt.wantError)
			}
			if tt.check != nil {
				tt.check(t, s, viewID)
			}
		})
	}
}

func TestAckOfUnknownEnvelope(t *testing.T) {
	s := newServer(t)
	raw := dialRaw(t, s)
	raw.ack(t, "env-unknown", nil)
	if err := raw.conn.WriteMessage(websocket.TextMessage, []byte("not json")); err != nil {
		t.Fatal(err)
	}
	err := s.WaitFor(testContext(t), func() bool { return len(s.Acks()) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	acks := s.Acks()
	if !strings.Contains(acks[0].Error, "unknown envelope_id") {
		t.Errorf("first ack error = %q, want unknown envelope_id", acks[0].Error)
	}
	if !strings.Contains(acks[1].Error, "malformed frame") {
		t.Errorf("second ack error = %q, want malformed frame", acks[1].Error)
	}
}

func TestEnvelopeMarshalJSON(t *testing.T) {
	env := fakeslack.Envelope{Type: fakeslack.TypeSlashCommands, EnvelopeID: "e1", Payload: map[string]any{"a": 1}, AcceptsResponsePayload: true}
	got, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"envelope_id":"e1","payload":{"a":1},"type":"slash_commands","accepts_response_payload":true}`
	if string(got) != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
}
