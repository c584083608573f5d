package bot

import (
	"fmt"
	"math/bits"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// TestDropMidMessageUnderLoad closes the server side of the connection in
// the middle of a frame while envelopes keep arriving, some of them with
// acknowledgements that wait for their handler. Run it with -race: the bot
// must not panic or race, must reconnect, must handle no envelope twice,
// and must handle and acknowledge every envelope sent after the reconnect.
func TestDropMidMessageUnderLoad(t *testing.T) {
	h := newHarness(t, harnessOptions{
		fakeOptions: []fakeslack.Option{fakeslack.WithPingInterval(time.Second)},
		config:      func(c *Config, _ *fakeslack.Server) { c.PingInterval = 100 * time.Millisecond },
		policy:      &fastBackoff,
	})
	h.fake.RedeliverUnacked(100 * time.Millisecond)

	// Submissions are acknowledged by their handler, which waits for the
	// drop, so their acknowledgements meet a closed connection.
	dropped := make(chan struct{})
	h.rec.setHook(func(_ *Envelope, ack AckFunc) {
		if ack != nil {
			<-dropped
			ack(nil)
		}
	})

	stop := make(chan struct{})
	var senders sync.WaitGroup
	for g := range 8 {
		senders.Go(func() {
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				default:
				}
				env := h.event()
				if i%4 == 0 {
					env = h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{
						UserID: "U_LOAD",
						View:   fakeslack.ViewArgs{ID: fmt.Sprintf("V_LOAD_%d_%d", g, i), CallbackID: "create_machine"},
					})
				}
				env.EnvelopeID = newEnvelopeID()
				// Sends fail while no connection is open, as they would
				// for Slack; the envelopes that do go out are checked.
				_ = h.fake.Send(env)
			}
		})
	}

	ctx := h.ctx()
	if err := poll(ctx, func() bool { return len(h.rec.counts()) >= 100 }); err != nil {
		t.Fatalf("load did not start: %v", err)
	}
	h.fake.DropMidMessage()
	close(dropped)

	err := h.fake.WaitFor(ctx, func() bool { return h.fake.TotalConnections() >= 2 && h.fake.Connections() == 1 })
	if err != nil {
		t.Fatalf("bot did not reconnect after the drop: %v", err)
	}
	if err := poll(ctx, h.bot.Connected); err != nil {
		t.Fatalf("bot not connected after the drop: %v", err)
	}

	var after []string
	for i := range 40 {
		env := h.event()
		if i%2 == 0 {
			env = h.fake.ViewSubmission(fakeslack.ViewSubmissionArgs{
				UserID: "U_AFTER",
				View:   fakeslack.ViewArgs{ID: fmt.Sprintf("V_AFTER_%d", i), CallbackID: "create_machine"},
			})
		}
		env.EnvelopeID = ""
		id, err := h.sendUntilDelivered(ctx, env)
		if err != nil {
			t.Fatal(err)
		}
		after = append(after, id)
	}
	close(stop)
	senders.Wait()

	if err := h.rec.waitHandled(ctx, after...); err != nil {
		t.Fatalf("envelopes sent after the reconnect: %v", err)
	}
	for _, id := range after {
		if _, err := h.fake.WaitAck(ctx, id); err != nil {
			t.Errorf("envelope %s sent after the reconnect: %v", id, err)
		}
	}
	h.stop()

	for id, n := range h.rec.counts() {
		if n != 1 {
			t.Errorf("envelope %s handled %d times, want 1", id, n)
		}
	}
	if lines := h.logs.matching("", "panicked"); len(lines) > 0 {
		t.Errorf("handler panicked: %v", lines)
	}
	for _, ack := range h.fake.Acks() {
		if ack.Error != "" {
			t.Errorf("ack of %s rejected by the fake Slack: %s", ack.EnvelopeID, ack.Error)
		}
	}
}

// TestPingsKeepIdleConnectionOpen puts a proxy that closes connections idle
// for 400ms between Slack and the bot. The bot's own pings must keep the
// connection open through a quiet spell several times that long, with no
// envelope lost and nothing logged above info.
func TestPingsKeepIdleConnectionOpen(t *testing.T) {
	const idle = 400 * time.Millisecond
	h := newHarness(t, harnessOptions{
		// The proxy ignores Slack's pings, which only keep the bot's read
		// deadline fresh, so only the bot's pings can keep it open.
		fakeOptions: []fakeslack.Option{fakeslack.WithPingInterval(idle / 8)},
		config:      func(c *Config, _ *fakeslack.Server) { c.PingInterval = idle / 8 },
		policy:      &fastBackoff,
	})
	h.fake.SetIdleTimeout(idle)
	ctx := h.ctx()

	var ids []string
	send := func() {
		t.Helper()
		env := h.event()
		env.EnvelopeID = newEnvelopeID()
		if err := h.fake.Send(env); err != nil {
			t.Fatalf("send envelope: %v", err)
		}
		ids = append(ids, env.EnvelopeID)
	}
	send()
	// The quiet spell is the condition under test, not a synchronisation:
	// nothing but the bot's pings crosses the connection during it.
	time.Sleep(5 * idle)
	send()
	if err := h.rec.waitHandled(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	h.stop()

	if got := h.fake.TotalConnections(); got != 1 {
		t.Errorf("connections opened = %d, want 1 (the proxy closed an idle connection)", got)
	}
	if lines := h.logs.atLeast(zerolog.WarnLevel); len(lines) > 0 {
		t.Errorf("log lines at warn or above = %v, want none", lines)
	}
}

// TestIdleDropsReconnectQuietly puts a proxy that closes connections idle
// for 20ms in front of a bot whose pings are too rare to keep them open,
// so the connection drops again soon after each hello. The bot must back
// off more with each short-lived connection, lose no envelope, and log the
// repeated closes and reconnects in thinned lines, not one per attempt.
func TestIdleDropsReconnectQuietly(t *testing.T) {
	h := newHarness(t, harnessOptions{
		fakeOptions: []fakeslack.Option{fakeslack.WithPingInterval(0)},
		config:      func(c *Config, _ *fakeslack.Server) { c.PingInterval = time.Hour },
		policy:      &fastBackoff,
	})
	h.fake.SetIdleTimeout(20 * time.Millisecond)
	h.fake.RedeliverUnacked(50 * time.Millisecond)
	ctx := h.ctx()

	// One envelope per connection: its ack is traffic too, so the
	// connection idles and drops only between envelopes.
	var ids []string
	for round := 1; round <= 12; round++ {
		err := h.fake.WaitFor(ctx, func() bool { return h.fake.TotalConnections() >= round })
		if err != nil {
			t.Fatalf("round %d: bot did not reconnect: %v", round, err)
		}
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

	connections := h.fake.TotalConnections()
	limit := bits.Len(uint(connections))
	for _, text := range []string{"closed by the peer", "socket mode connected"} {
		lines := 0
		for _, line := range h.logs.matching("", text) {
			if line["level"] != "debug" {
				lines++
			}
		}
		if lines > limit {
			t.Errorf("%d lines %q above debug for %d connections, want at most %d", lines, text, connections, limit)
		}
	}

	// Each short-lived connection counts as a failure, so the waits grow
	// to the policy's limit instead of staying at zero.
	waits := retryWaits(t, h.logs.matching("", "closed by the peer"))
	if len(waits) < 8 {
		t.Fatalf("closes logged with retry_in = %d, want at least 8", len(waits))
	}
	for i := 1; i < len(waits); i++ {
		if waits[i] < waits[i-1] && waits[i-1] < fastBackoff.limit*9/10 {
			t.Errorf("retry_in fell from %s to %s before the limit, want it to grow: %v", waits[i-1], waits[i], waits)
		}
	}
	if last := waits[len(waits)-1]; last < fastBackoff.limit*9/10 {
		t.Errorf("last retry_in = %s, want near the limit %s: %v", last, fastBackoff.limit, waits)
	}
}

// TestTooManyWebsockets makes Slack close every connection with
// too_many_websockets. The bot must wait longer each time (no reconnect
// storm) and log the cause once, naming the app token, however often it
// repeats.
func TestTooManyWebsockets(t *testing.T) {
	h := newHarness(t, harnessOptions{
		fakeOptions: []fakeslack.Option{fakeslack.WithDisconnectGrace(time.Minute)},
		policy:      &fastBackoff,
	})
	ctx := h.ctx()

	const rounds = 6
	for round := 1; round <= rounds; round++ {
		err := h.fake.WaitFor(ctx, func() bool {
			return h.fake.TotalConnections() == round && h.fake.Connections() == 1
		})
		if err == nil {
			err = poll(ctx, h.bot.Connected)
		}
		if err != nil {
			t.Fatalf("round %d: bot did not connect: %v", round, err)
		}
		h.fake.Disconnect(ReasonTooManyWebsockets)
	}
	// The last round's reconnect shows that the bot came back.
	err := h.fake.WaitFor(ctx, func() bool { return h.fake.TotalConnections() == rounds+1 })
	if err != nil {
		t.Fatalf("bot did not reconnect after the last round: %v", err)
	}
	h.stop()

	var named []map[string]any
	for _, line := range h.logs.atLeast(zerolog.InfoLevel) {
		msg, _ := line["message"].(string)
		if strings.Contains(msg, "too many") || strings.Contains(msg, ReasonTooManyWebsockets) {
			named = append(named, line)
		}
	}
	if len(named) != 1 {
		t.Fatalf("log lines above debug about too many connections = %d, want 1: %v", len(named), named)
	}
	if msg, _ := named[0]["message"].(string); !strings.Contains(msg, "SLACK_APP_TOKEN") {
		t.Errorf("log line %q does not name SLACK_APP_TOKEN", msg)
	}
	if level := named[0]["level"]; level != "error" {
		t.Errorf("log level = %v, want error", level)
	}

	waits := retryWaits(t, h.logs.matching("", "too many"))
	if len(waits) != rounds {
		t.Fatalf("too_many_websockets lines with retry_in = %d, want %d", len(waits), rounds)
	}
	for i, wait := range waits {
		if wait < fastBackoff.tooManyBase*9/10 {
			t.Errorf("round %d: retry_in = %s, want at least the too-many base %s", i+1, wait, fastBackoff.tooManyBase)
		}
	}
	if last := waits[len(waits)-1]; last < fastBackoff.tooManyLimit*9/10 {
		t.Errorf("last retry_in = %s, want it grown near the limit %s: %v", last, fastBackoff.tooManyLimit, waits)
	}
}

// TestHelloConnectionCount checks the warning logged when Slack's hello
// counts more Socket Mode connections than the deployment runs, which
// means a forgotten instance takes a share of the envelopes.
func TestHelloConnectionCount(t *testing.T) {
	tests := []struct {
		name     string
		reported int
		expected int
		warn     bool
	}{
		{"one of one", 1, 1, false},
		{"two of two", 2, 2, false},
		{"fewer than expected", 1, 3, false},
		{"three of two", 3, 2, true},
		{"eleven of one", 11, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, harnessOptions{
				config:      func(c *Config, _ *fakeslack.Server) { c.ExpectedConnections = tt.expected },
				policy:      &fastBackoff,
				beforeStart: func(s *fakeslack.Server) { s.SetHelloConnections(tt.reported) },
			})
			h.stop()

			warnings := h.logs.matching("warn", "")
			if !tt.warn {
				if len(warnings) > 0 {
					t.Errorf("warnings = %v, want none", warnings)
				}
				return
			}
			if len(warnings) != 1 {
				t.Fatalf("warnings = %d, want 1: %v", len(warnings), warnings)
			}
			line := warnings[0]
			if got := line["num_connections"]; got != float64(tt.reported) {
				t.Errorf("num_connections = %v, want %d", got, tt.reported)
			}
			msg, _ := line["message"].(string)
			if !strings.Contains(msg, fmt.Sprint(tt.reported)) {
				t.Errorf("message %q does not name the count %d", msg, tt.reported)
			}
			if !strings.Contains(msg, "SLACK_APP_TOKEN") {
				t.Errorf("message %q does not name SLACK_APP_TOKEN", msg)
			}
		})
	}
}

// retryWaits returns the retry_in field of each log line that has one.
func retryWaits(t *testing.T, lines []map[string]any) []time.Duration {
	t.Helper()
	var waits []time.Duration
	for _, line := range lines {
		ms, ok := line["retry_in"].(float64)
		if !ok {
			continue
		}
		waits = append(waits, time.Duration(ms*float64(time.Millisecond)))
	}
	return waits
}
