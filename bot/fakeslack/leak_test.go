package fakeslack_test

import (
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestCloseLeavesNoGoroutines(t *testing.T) {
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()
	before := runtime.NumGoroutine()

	s := fakeslack.New(fakeslack.WithPingInterval(5*time.Millisecond), fakeslack.WithDisconnectGrace(time.Hour))
	api := newClient(s)
	if _, _, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText("x", false)); err != nil {
		t.Fatal(err)
	}
	raw := dialRaw(t, s)
	s.RedeliverUnacked(time.Millisecond)
	if err := s.Send(s.SlashCommand(fakeslack.SlashCommandArgs{UserID: "U1"})); err != nil {
		t.Fatal(err)
	}
	raw.read(t)
	// Leaves a grace timer of an hour running, which Close must end.
	s.Disconnect("refresh_requested")

	s.Close()
	raw.conn.Close()
	http.DefaultTransport.(*http.Transport).CloseIdleConnections()

	deadline := time.Now().Add(testTimeout)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		var stacks strings.Builder
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Errorf("goroutines after Close = %d, want at most %d:\n%s", after, before, stacks.String())
	}
}
