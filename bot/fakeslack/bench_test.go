package fakeslack_test

import (
	"context"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func BenchmarkPostMessage(b *testing.B) {
	s := fakeslack.New()
	defer s.Close()
	api := newClient(s)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkSlashCommandRoundTrip measures one slash command envelope sent,
// read by a WebSocket client, acked and seen by WaitAck.
func BenchmarkSlashCommandRoundTrip(b *testing.B) {
	s := fakeslack.New()
	defer s.Close()
	raw := dialRaw(b, s)
	ctx := context.Background()
	b.ResetTimer()
	for b.Loop() {
		env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", Text: "create"})
		if err := s.Send(env); err != nil {
			b.Fatal(err)
		}
		var msg map[string]any
		if err := raw.conn.ReadJSON(&msg); err != nil {
			b.Fatal(err)
		}
		if err := raw.conn.WriteJSON(map[string]any{"envelope_id": env.EnvelopeID}); err != nil {
			b.Fatal(err)
		}
		if _, err := s.WaitAck(ctx, env.EnvelopeID); err != nil {
			b.Fatal(err)
		}
	}
}
