package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/bits"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// TestAckBeforeHandler holds each handler until the test has seen the
// envelope's ack, so an ack that waited for the handler would never come.
func TestAckBeforeHandler(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	release := make(chan struct{})
	started := make(chan string, 10)
	h.rec.setHook(func(env *Envelope, _ AckFunc) {
		started <- env.EnvelopeID
		<-release
	})
	t.Cleanup(func() { close(release) })

	tests := []struct {
		name string
		env  fakeslack.Envelope
	}{
		{"slash command", h.fake.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", Text: "list"})},
		{"block actions", h.fake.BlockActions(fakeslack.BlockActionsArgs{
			UserID: "U1", ChannelID: "C1", MessageTS: "1.000001",
			Actions: []fakeslack.Action{{ActionID: "approve_request", BlockID: "b1", Value: "r1"}},
		})},
		{"events api", fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: newEnvelopeID(), Payload: map[string]any{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.fake.Send(tt.env); err != nil {
				t.Fatalf("send: %v", err)
			}
			ack, err := h.fake.WaitAck(h.ctx(), tt.env.EnvelopeID)
			if err != nil {
				t.Fatalf("no ack while the handler runs: %v", err)
			}
			if len(ack.Payload) != 0 {
				t.Errorf("ack payload = %s, want none", ack.Payload)
			}
			if ack.Error != "" {
				t.Errorf("ack rejected by the fake Slack: %s", ack.Error)
			}
			select {
			case id := <-started:
				if id != tt.env.EnvelopeID {
					t.Errorf("handler started for %s, want %s", id, tt.env.EnvelopeID)
				}
			case <-h.ctx().Done():
				t.Fatal("handler did not start")
			}
		})
	}
}

// TestAckCarriesHandlerResponse checks that a submission and a block
// suggestion are acknowledged with the payload their handler gives, once.
func TestAckCarriesHandlerResponse(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	var secondAck atomic.Bool
	h.rec.setHook(func(env *Envelope, ack AckFunc) {
		switch env.InteractionType() {
		case interactionViewSubmission:
			ack(map[string]any{"response_action": "errors", "errors": map[string]string{"machine_name": "Enter a name."}})
		case interactionBlockSuggestion:
			ack(map[string]any{"options": []any{}})
		}
		// A second call must neither send nor allow acting twice.
		if ack(nil) {
			secondAck.Store(true)
		}
	})

	tests := []struct {
		name string
		env  fakeslack.Envelope
		want string
	}{
		{"view submission", h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: "U1", View: fakeslack.ViewArgs{ID: "V_NONE", CallbackID: "create_machine"},
		}), `{"errors":{"machine_name":"Enter a name."},"response_action":"errors"}`},
		{"block suggestion", h.fake.BlockSuggestion(fakeslack.BlockSuggestionArgs{
			UserID: "U1", ActionID: "template", BlockID: "template", Value: "ub", View: fakeslack.ViewArgs{ID: "V_NONE"},
		}), `{"options":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.fake.Send(tt.env); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := h.rec.waitHandled(h.ctx(), tt.env.EnvelopeID); err != nil {
				t.Fatal(err)
			}
			ack, err := h.fake.WaitAck(h.ctx(), tt.env.EnvelopeID)
			if err != nil {
				t.Fatal(err)
			}
			if got := compactJSON(t, ack.Payload); got != tt.want {
				t.Errorf("ack payload = %s, want %s", got, tt.want)
			}
			if n := countAcks(h.fake, tt.env.EnvelopeID); n != 1 {
				t.Errorf("acks = %d, want 1", n)
			}
		})
	}
	if secondAck.Load() {
		t.Error("a second ack call returned true, want false")
	}
}

// TestRedeliveryAckedAgain sends envelopes again, as Slack does when it
// missed an ack. Each must be acknowledged again, with the same payload,
// and handled once.
func TestRedeliveryAckedAgain(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	h.rec.setHook(func(env *Envelope, ack AckFunc) {
		if ack != nil {
			ack(map[string]any{"response_action": "errors", "errors": map[string]string{"region": "Choose a region."}})
		}
	})

	tests := []struct {
		name string
		env  fakeslack.Envelope
	}{
		{"events api", fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: newEnvelopeID(), Payload: map[string]any{}}},
		{"slash command", h.fake.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", Text: "help"})},
		{"view submission", h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: "U1", View: fakeslack.ViewArgs{ID: "V_NONE", CallbackID: "create_machine"},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := tt.env.EnvelopeID
			if err := h.fake.Send(tt.env); err != nil {
				t.Fatalf("send: %v", err)
			}
			first, err := h.fake.WaitAck(h.ctx(), id)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.rec.waitHandled(h.ctx(), id); err != nil {
				t.Fatal(err)
			}

			for attempt := 1; attempt <= 2; attempt++ {
				if err := h.fake.Redeliver(id, attempt); err != nil {
					t.Fatalf("redeliver: %v", err)
				}
			}
			err = h.fake.WaitFor(h.ctx(), func() bool { return countAcks(h.fake, id) == 3 })
			if err != nil {
				t.Fatalf("acks of %s = %d, want 3: %v", id, countAcks(h.fake, id), err)
			}
			// Envelopes are read in order, so once a later one is handled
			// the redeliveries were processed.
			marker := fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: newEnvelopeID(), Payload: map[string]any{}}
			if err := h.fake.Send(marker); err != nil {
				t.Fatalf("send marker: %v", err)
			}
			if err := h.rec.waitHandled(h.ctx(), marker.EnvelopeID); err != nil {
				t.Fatal(err)
			}

			if n := h.rec.count(id); n != 1 {
				t.Errorf("handled %d times, want 1", n)
			}
			for _, ack := range h.fake.Acks() {
				if ack.EnvelopeID != id {
					continue
				}
				if !bytes.Equal(ack.Payload, first.Payload) {
					t.Errorf("ack payload = %s, want the first ack's %s", ack.Payload, first.Payload)
				}
			}
		})
	}
}

// TestRefreshOpensNewConnectionFirst holds the dial of the replacement
// connection that refresh_requested starts. Meanwhile the old connection
// must still be open and serving. Once the new one is up, the old one
// closes and envelopes flow on the new one.
func TestRefreshOpensNewConnectionFirst(t *testing.T) {
	dialing := make(chan []int, 1)
	release := make(chan struct{})
	var dials atomic.Int32
	var fake *fakeslack.Server
	dialer := &websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 2 {
				dialing <- fake.ConnectionIDs()
				select {
				case <-release:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
	}
	h := newHarness(t, harnessOptions{
		fakeOptions: []fakeslack.Option{fakeslack.WithDisconnectGrace(time.Minute)},
		config:      func(c *Config, _ *fakeslack.Server) { c.Dialer = dialer },
		policy:      &fastBackoff,
		beforeStart: func(s *fakeslack.Server) { fake = s },
	})
	ctx := h.ctx()
	h.fake.RedeliverUnacked(100 * time.Millisecond)

	h.fake.Disconnect(ReasonRefreshRequested)
	var open []int
	select {
	case open = <-dialing:
	case <-ctx.Done():
		t.Fatal("bot did not dial a new connection")
	}
	if !slices.Equal(open, []int{1}) {
		t.Errorf("open connections while dialing the new one = %v, want [1]", open)
	}

	var ids []string
	during := fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: newEnvelopeID(), Payload: map[string]any{}}
	if err := h.fake.SendTo(1, during); err != nil {
		t.Fatalf("send on the old connection during the refresh: %v", err)
	}
	if _, err := h.fake.WaitAck(ctx, during.EnvelopeID); err != nil {
		t.Fatalf("old connection during the refresh: %v", err)
	}
	ids = append(ids, during.EnvelopeID)

	close(release)
	err := h.fake.WaitFor(ctx, func() bool { return slices.Equal(h.fake.ConnectionIDs(), []int{2}) })
	if err != nil {
		t.Fatalf("open connections = %v, want [2]: %v", h.fake.ConnectionIDs(), err)
	}
	for range 5 {
		id, err := h.sendUntilDelivered(ctx, h.event())
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if err := h.rec.waitHandled(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	h.stop()

	for _, id := range ids {
		if n := h.rec.count(id); n != 1 {
			t.Errorf("envelope %s handled %d times, want 1", id, n)
		}
	}
	if lines := h.logs.matching("warn", ""); len(lines) > 0 {
		t.Errorf("warnings = %v, want none for a refresh", lines)
	}
}

// TestFatalConnectErrors checks that Run stops with a *FatalError that
// names SLACK_APP_TOKEN when apps.connections.open rejects the token.
func TestFatalConnectErrors(t *testing.T) {
	tests := []struct {
		name   string
		reject string
		// appToken replaces the app-level token the bot sends.
		appToken string
	}{
		{"invalid_auth", "invalid_auth", ""},
		{"not_authed", "not_authed", ""},
		{"missing_args", "missing_args", ""},
		{"account_inactive", "account_inactive", ""},
		{"token_revoked", "token_revoked", ""},
		{"token_expired", "token_expired", ""},
		{"not_allowed_token_type", "not_allowed_token_type", ""},
		{"bot token as app token", "", fakeslack.DefaultBotToken},
		{"unknown token", "", "xapp-1-someone-elses-token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{
				config: func(c *Config, s *fakeslack.Server) {
					if tt.appToken != "" {
						c.API = slack.New(s.BotToken(), slack.OptionAppLevelToken(tt.appToken), slack.OptionAPIURL(s.APIURL()))
					}
				},
				policy:      &fastBackoff,
				beforeStart: func(s *fakeslack.Server) { s.RejectConnections(tt.reject) },
				noWait:      true,
			})
			select {
			case <-h.done:
			case <-h.ctx().Done():
				t.Fatal("Run did not return")
			}
			var fatal *FatalError
			if !errors.As(h.runErr, &fatal) {
				t.Fatalf("Run = %v (%T), want a *FatalError", h.runErr, h.runErr)
			}
			if !strings.Contains(fatal.Reason, "SLACK_APP_TOKEN") {
				t.Errorf("reason %q does not name SLACK_APP_TOKEN", fatal.Reason)
			}
			if n := len(h.fake.CallsTo("apps.connections.open")); n != 1 {
				t.Errorf("apps.connections.open calls = %d, want 1", n)
			}
			if strings.Contains(h.runErr.Error(), fakeslack.DefaultAppToken) || strings.Contains(h.runErr.Error(), fakeslack.DefaultBotToken) {
				t.Errorf("error %q contains a token", h.runErr)
			}
		})
	}
}

// TestTransientConnectErrorRetried makes apps.connections.open fail with
// an error that a retry can fix. Run must keep trying, log the repeats in
// thinned lines, and connect once Slack accepts again.
func TestTransientConnectErrorRetried(t *testing.T) {
	h := newHarness(t, harnessOptions{
		policy:      &fastBackoff,
		beforeStart: func(s *fakeslack.Server) { s.RejectConnections("internal_error") },
		noWait:      true,
	})
	ctx := h.ctx()
	_, err := h.fake.WaitCall(ctx, "apps.connections.open", func(fakeslack.Call) bool {
		return len(h.fake.CallsTo("apps.connections.open")) >= 10
	})
	if err != nil {
		t.Fatalf("bot did not retry: %v", err)
	}
	select {
	case <-h.done:
		t.Fatalf("Run returned %v, want it to keep retrying", h.runErr)
	default:
	}
	h.fake.RejectConnections("")
	h.waitConnected()
	h.stop()

	attempts := len(h.fake.CallsTo("apps.connections.open")) - 1
	lines := h.logs.matching("warn", "connection failed")
	if limit := bits.Len(uint(attempts)); len(lines) > limit {
		t.Errorf("warnings = %d for %d failed attempts, want at most %d", len(lines), attempts, limit)
	}
	if len(lines) == 0 {
		t.Error("no warning about the failed attempts")
	}
}

// TestHandlerPanicAcked makes handlers panic. The bot must log the panic,
// still acknowledge the envelope and keep serving.
func TestHandlerPanicAcked(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	h.rec.setHook(func(env *Envelope, _ AckFunc) {
		if strings.HasPrefix(env.EnvelopeID, "panic-") {
			panic("handler failed")
		}
	})

	tests := []struct {
		name string
		env  fakeslack.Envelope
	}{
		{"events api", fakeslack.Envelope{Type: fakeslack.TypeEventsAPI, EnvelopeID: "panic-event", Payload: map[string]any{}}},
		{"view submission", h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: "U1", EnvelopeID: "panic-submission", View: fakeslack.ViewArgs{ID: "V_NONE", CallbackID: "create_machine"},
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := h.fake.Send(tt.env); err != nil {
				t.Fatalf("send: %v", err)
			}
			if _, err := h.fake.WaitAck(h.ctx(), tt.env.EnvelopeID); err != nil {
				t.Fatalf("no ack after the handler panicked: %v", err)
			}
			next := h.event()
			next.EnvelopeID = newEnvelopeID()
			if err := h.fake.Send(next); err != nil {
				t.Fatalf("send: %v", err)
			}
			if err := h.rec.waitHandled(h.ctx(), next.EnvelopeID); err != nil {
				t.Fatalf("bot stopped serving after a panic: %v", err)
			}
		})
	}
	h.stop()
	if lines := h.logs.matching("error", "panicked"); len(lines) != len(tests) {
		t.Errorf("panic log lines = %d, want %d", len(lines), len(tests))
	}
}

// TestAckTooLarge checks that a response payload too large for Slack is
// replaced by an empty ack and logged.
func TestAckTooLarge(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	h.rec.setHook(func(_ *Envelope, ack AckFunc) {
		ack(map[string]any{"response_action": "errors", "errors": map[string]string{"machine_name": strings.Repeat("x", MaxAckPayloadBytes)}})
	})
	env := h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: "U1", View: fakeslack.ViewArgs{ID: "V_NONE", CallbackID: "create_machine"}})
	if err := h.fake.Send(env); err != nil {
		t.Fatalf("send: %v", err)
	}
	ack, err := h.fake.WaitAck(h.ctx(), env.EnvelopeID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ack.Payload) != 0 {
		t.Errorf("ack payload has %d bytes, want none", len(ack.Payload))
	}
	if ack.Error != "" {
		t.Errorf("ack rejected by the fake Slack: %s", ack.Error)
	}
	h.stop()
	if lines := h.logs.matching("error", "too large"); len(lines) != 1 {
		t.Errorf("log lines about the size = %d, want 1", len(lines))
	}
}

// TestClaimedElsewhere checks that an interactive envelope that another
// replica claimed is acknowledged but not handled here.
func TestClaimedElsewhere(t *testing.T) {
	h := newHarness(t, harnessOptions{
		config: func(c *Config, _ *fakeslack.Server) {
			c.Claim = func(_ context.Context, id string) (bool, error) {
				return !strings.HasPrefix(id, "claimed-"), nil
			}
		},
		policy: &fastBackoff,
	})
	click := func(id string) fakeslack.Envelope {
		return h.fake.BlockActions(fakeslack.BlockActionsArgs{
			UserID: "U1", ChannelID: "C1", MessageTS: "1.000001", EnvelopeID: id,
			Actions: []fakeslack.Action{{ActionID: "approve_request", BlockID: "b1", Value: "r1"}},
		})
	}
	claimed := click("claimed-1")
	mine := click(newEnvelopeID())
	for _, env := range []fakeslack.Envelope{claimed, mine} {
		if err := h.fake.Send(env); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if err := h.rec.waitHandled(h.ctx(), mine.EnvelopeID); err != nil {
		t.Fatal(err)
	}
	if _, err := h.fake.WaitAck(h.ctx(), claimed.EnvelopeID); err != nil {
		t.Errorf("claimed envelope: %v", err)
	}
	h.stop()
	if n := h.rec.count(claimed.EnvelopeID); n != 0 {
		t.Errorf("claimed envelope handled %d times, want 0", n)
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name     string
		failures int
		tooMany  bool
		want     time.Duration
	}{
		{"none", 0, false, 0},
		{"first", 1, false, 0},
		{"second", 2, false, 250 * time.Millisecond},
		{"third", 3, false, 500 * time.Millisecond},
		{"eighth", 8, false, 16 * time.Second},
		{"ninth", 9, false, 30 * time.Second},
		{"hundredth", 100, false, 30 * time.Second},
		{"too many first", 1, true, 30 * time.Second},
		{"too many second", 2, true, time.Minute},
		{"too many sixth", 6, true, 5 * time.Minute},
		{"too many hundredth", 100, true, 5 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := supervisor{bot: New(Config{}), failures: tt.failures, tooMany: tt.tooMany}
			for range 50 {
				got := s.backoff()
				if got < tt.want*9/10 || got > tt.want*11/10 {
					t.Fatalf("backoff() = %s, want %s within 10%%", got, tt.want)
				}
			}
		})
	}
}

func TestRepeatCounter(t *testing.T) {
	var r repeatCounter
	var logged []int
	for range 20 {
		if log, count := r.observe("a"); log {
			logged = append(logged, count)
		}
	}
	if want := []int{1, 2, 4, 8, 16}; !slices.Equal(logged, want) {
		t.Errorf("logged occurrences = %v, want %v", logged, want)
	}
	if log, count := r.observe("b"); !log || count != 1 {
		t.Errorf("observe(b) = %v, %d, want true, 1", log, count)
	}
	r.reset()
	if log, count := r.observe("a"); !log || count != 1 {
		t.Errorf("observe(a) after reset = %v, %d, want true, 1", log, count)
	}
}

func TestSeenEnvelopes(t *testing.T) {
	start := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// ids are added one second apart.
		ids     []string
		ttl     time.Duration
		max     int
		check   string
		checkAt time.Duration
		wantNew bool
	}{
		{"repeat", []string{"a"}, time.Hour, 10, "a", time.Second, false},
		{"other", []string{"a"}, time.Hour, 10, "b", time.Second, true},
		{"past ttl", []string{"a"}, time.Minute, 10, "a", 2 * time.Minute, true},
		{"within ttl", []string{"a"}, time.Minute, 10, "a", 30 * time.Second, false},
		{"oldest beyond max", []string{"a", "b", "c"}, time.Hour, 2, "a", 4 * time.Second, true},
		{"newest within max", []string{"a", "b", "c"}, time.Hour, 2, "c", 4 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSeenEnvelopes(tt.ttl, tt.max)
			for i, id := range tt.ids {
				s.add(id, start.Add(time.Duration(i)*time.Second))
			}
			// A fourth id makes the set prune past max before the check.
			isNew, _ := s.add(tt.check, start.Add(tt.checkAt))
			if isNew != tt.wantNew {
				t.Errorf("add(%q) new = %v, want %v", tt.check, isNew, tt.wantNew)
			}
		})
	}

	s := newSeenEnvelopes(time.Hour, 10)
	s.add("a", start)
	s.setAck("a", []byte(`{"envelope_id":"a"}`))
	if isNew, ack := s.add("a", start); isNew || string(ack) != `{"envelope_id":"a"}` {
		t.Errorf("add(a) after setAck = %v, %s, want false and the ack", isNew, ack)
	}
}

func countAcks(s *fakeslack.Server, id string) int {
	n := 0
	for _, ack := range s.Acks() {
		if ack.EnvelopeID == id {
			n++
		}
	}
	return n
}

func compactJSON(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("payload %s is not JSON: %v", raw, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// TestNoHandlerStartsAfterWait stops the bot while envelopes keep
// arriving. Once Run has returned and Wait with it, no handler may start,
// so that a stopping process acts on nothing new. The window for a late
// handler is short, so -race, which also reports a WaitGroup Add racing
// with Wait, makes this test stronger.
func TestNoHandlerStartsAfterWait(t *testing.T) {
	h := newHarness(t, harnessOptions{policy: &fastBackoff})
	var started atomic.Int64
	h.rec.setHook(func(*Envelope, AckFunc) { started.Add(1) })

	stop := make(chan struct{})
	var senders sync.WaitGroup
	for range 4 {
		senders.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				env := h.event()
				env.EnvelopeID = newEnvelopeID()
				if h.fake.Send(env) != nil {
					return
				}
			}
		})
	}
	if err := poll(h.ctx(), func() bool { return started.Load() >= 200 }); err != nil {
		t.Fatalf("load did not start: %v", err)
	}
	h.cancel()
	<-h.done
	if err := h.bot.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	afterWait := started.Load()

	close(stop)
	senders.Wait()
	if err := h.fake.WaitConnections(h.ctx(), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.bot.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	if late := started.Load() - afterWait; late != 0 {
		t.Errorf("handlers started after Wait returned = %d, want 0", late)
	}
}
