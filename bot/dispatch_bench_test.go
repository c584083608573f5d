package bot

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// benchHandler acknowledges when it must and does nothing else, so that a
// benchmark measures the bot's own work.
type benchHandler struct {
	handled atomic.Int64
}

func (h *benchHandler) Handle(_ context.Context, _ *Envelope, ack AckFunc) {
	if ack != nil {
		ack(nil)
	}
	h.handled.Add(1)
}

// benchFrames returns Socket Mode frames as the fake Slack sends them: a
// slash command, a view submission of a filled form, and a block
// suggestion.
func benchFrames(b *testing.B) map[string][]byte {
	b.Helper()
	s := fakeslack.New()
	defer s.Close()
	values := fakeslack.Values{
		"machine_name": {"machine_name": fakeslack.TextValue("gpu-box-1")},
		"region":       {"region": fakeslack.SelectValue("East Coast (NY2)", "East Coast (NY2)")},
		"machine_type": {"machine_type": fakeslack.SelectValue("Air", "Air")},
		"template":     {"template": fakeslack.ExternalSelectValue("t123abc", "Windows 10")},
		"storage_size": {"storage_size": fakeslack.SelectValue("50", "50 GB")},
		"assignee":     {"assignee": fakeslack.ExternalSelectValue("u123abc", "Jon Snow")},
	}
	envelopes := map[string]fakeslack.Envelope{
		"slash_command": s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", Text: "create"}),
		"view_submission": s.ViewSubmission(fakeslack.ViewSubmissionArgs{
			UserID: "U1",
			View:   fakeslack.ViewArgs{ID: "V1", CallbackID: "create_machine", Values: values},
		}),
		"block_suggestion": s.BlockSuggestion(fakeslack.BlockSuggestionArgs{
			UserID: "U1", ActionID: "template", BlockID: "template", Value: "ubuntu",
			View: fakeslack.ViewArgs{ID: "V1", CallbackID: "create_machine"},
		}),
	}
	frames := map[string][]byte{}
	for name, env := range envelopes {
		payload, err := json.Marshal(env.Payload)
		if err != nil {
			b.Fatal(err)
		}
		env.Payload = json.RawMessage(payload)
		frame, err := json.Marshal(env)
		if err != nil {
			b.Fatal(err)
		}
		frames[name] = frame
	}
	return frames
}

// benchConn returns a connection over a loopback WebSocket to a server
// that reads and discards every frame, so that acks cost a real write.
func benchConn(b *testing.B) *conn {
	b.Helper()
	upgrader := websocket.Upgrader{}
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		for {
			_, reader, err := ws.NextReader()
			if err != nil {
				return
			}
			if _, err := io.Copy(io.Discard, reader); err != nil {
				return
			}
		}
	}))
	b.Cleanup(server.Close)
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(server.URL, "http"), nil)
	if err != nil {
		b.Fatalf("dial the discarding server: %v", err)
	}
	b.Cleanup(func() { ws.Close() })
	return &conn{id: 1, ws: ws, openedAt: time.Now(), done: make(chan struct{})}
}

// BenchmarkDecodeEnvelope measures what the read loop does with each frame
// before it dispatches it: decoding the envelope and, for interactive
// envelopes, the payload's type.
func BenchmarkDecodeEnvelope(b *testing.B) {
	for name, frame := range benchFrames(b) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			for b.Loop() {
				env := new(Envelope)
				if err := json.Unmarshal(frame, env); err != nil {
					b.Fatal(err)
				}
				_ = env.InteractionType()
			}
		})
	}
}

// BenchmarkDispatchEnvelope measures one new envelope from frame to
// handler: decoding, the redelivery check, the ack written to a loopback
// WebSocket, and the handler goroutine.
func BenchmarkDispatchEnvelope(b *testing.B) {
	for name, frame := range benchFrames(b) {
		b.Run(name, func(b *testing.B) {
			handler := &benchHandler{}
			socket := New(Config{Handler: handler, Log: zerolog.Nop()})
			c := benchConn(b)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetBytes(int64(len(frame)))
			i := 0
			for b.Loop() {
				env := new(Envelope)
				if err := json.Unmarshal(frame, env); err != nil {
					b.Fatal(err)
				}
				// Each envelope must be new, or the bot acks it again
				// without dispatching it.
				i++
				env.EnvelopeID = "bench-" + strconv.Itoa(i)
				socket.receive(ctx, c, env)
			}
			if err := socket.Wait(ctx); err != nil {
				b.Fatal(err)
			}
			if got := handler.handled.Load(); got != int64(i) {
				b.Fatalf("handled %d envelopes, want %d", got, i)
			}
		})
	}
}

// BenchmarkRedeliveredEnvelope measures a redelivery: the bot finds the
// envelope id among those seen and sends the stored ack again.
func BenchmarkRedeliveredEnvelope(b *testing.B) {
	frame := benchFrames(b)["slash_command"]
	handler := &benchHandler{}
	socket := New(Config{Handler: handler, Log: zerolog.Nop()})
	c := benchConn(b)
	ctx := context.Background()
	first := new(Envelope)
	if err := json.Unmarshal(frame, first); err != nil {
		b.Fatal(err)
	}
	socket.receive(ctx, c, first)
	b.ReportAllocs()
	for b.Loop() {
		env := new(Envelope)
		if err := json.Unmarshal(frame, env); err != nil {
			b.Fatal(err)
		}
		env.RetryAttempt = 1
		socket.receive(ctx, c, env)
	}
	if err := socket.Wait(ctx); err != nil {
		b.Fatal(err)
	}
	if got := handler.handled.Load(); got != 1 {
		b.Fatalf("handled %d envelopes, want 1: redeliveries must not be dispatched", got)
	}
}
