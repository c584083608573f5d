package fakeslack_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// TestConcurrentUse drives the server from many goroutines at once, for the
// race detector: envelopes on two connections acked by their readers, and
// Web API posts alongside.
func TestConcurrentUse(t *testing.T) {
	const senders, perSender = 4, 50
	s := newServer(t)
	clients := []*rawSocket{dialRaw(t, s), dialRaw(t, s)}

	var readers sync.WaitGroup
	for _, c := range clients {
		readers.Go(func() {
			for {
				var msg map[string]any
				if err := c.conn.ReadJSON(&msg); err != nil {
					return
				}
				if id, _ := msg["envelope_id"].(string); id != "" {
					if err := c.conn.WriteJSON(map[string]any{"envelope_id": id}); err != nil {
						return
					}
				}
			}
		})
	}

	api := newClient(s)
	var work sync.WaitGroup
	ids := make(chan string, senders*perSender)
	for i := range senders {
		work.Go(func() {
			for j := range perSender {
				env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: fmt.Sprintf("U%d", i), Text: fmt.Sprint(j)})
				if err := s.Send(env); err != nil {
					t.Error(err)
					return
				}
				ids <- env.EnvelopeID
			}
		})
		work.Go(func() {
			for j := range perSender / 5 {
				if _, _, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText(fmt.Sprint(j), false)); err != nil {
					t.Error(err)
					return
				}
				_ = s.Messages("C1")
				_ = s.Calls()
			}
		})
	}
	work.Wait()
	close(ids)

	for id := range ids {
		if _, err := s.WaitAck(testContext(t), id); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := len(s.Messages("C1")), senders*perSender/5; got != want {
		t.Errorf("messages = %d, want %d", got, want)
	}
	for _, c := range clients {
		c.conn.Close()
	}
	readers.Wait()
}
