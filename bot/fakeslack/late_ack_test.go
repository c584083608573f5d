package fakeslack_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestLateAckFlagged(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	s := fakeslack.New(fakeslack.WithClock(clock))
	defer s.Close()
	raw := dialRaw(t, s)

	tests := []struct {
		name  string
		delay time.Duration
		late  bool
	}{
		{"within the deadline", time.Second, false},
		{"past the deadline", fakeslack.AckDeadline + time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1", Text: "help"})
			if err := s.Send(env); err != nil {
				t.Fatalf("Send: %v", err)
			}
			raw.read(t)
			mu.Lock()
			now = now.Add(tt.delay)
			mu.Unlock()
			raw.ack(t, env.EnvelopeID, nil)
			ack, err := s.WaitAck(testContext(t), env.EnvelopeID)
			if err != nil {
				t.Fatalf("WaitAck: %v", err)
			}
			if got := strings.HasPrefix(ack.Error, "late ack"); got != tt.late {
				t.Errorf("ack after %s: Error = %q, want late %v", tt.delay, ack.Error, tt.late)
			}
		})
	}
}
