// Command paperspace-fakes runs the project's fake Slack and fake Core API
// on 127.0.0.1, so the bot can be tried without a Slack workspace or a
// Paperspace account. It prints the settings to run the bot with, then
// reads commands from standard input and plays a Slack user:
//
//	create [name]        run "/paperspace create [name]" as the admin
//	as USER TEXT         run "/paperspace TEXT" as another Slack user id
//	submit               submit the open form with valid values
//	messages             print every message the bot posted
//	quit                 stop
//
// New messages from the bot are printed as they arrive.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// Slack ids of the people the tool plays.
const (
	adminID   = "U_ADMIN"
	memberID  = "U_MEMBER"
	channelID = "C_TRYOUT"
)

func main() {
	quiet := flag.Bool("quiet", false, "do not print the fakes' own log lines")
	flag.Parse()

	logf := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "fake slack: "+format+"\n", args...) }
	if *quiet {
		logf = func(string, ...any) {}
	}
	s := fakeslack.New(fakeslack.WithLogf(logf))
	defer s.Close()
	core := fakecoreapi.New()
	defer core.Close()
	s.AddUser(slack.User{ID: adminID, Name: "ada", Profile: slack.UserProfile{Email: "ada@example.com"}})
	s.AddUser(slack.User{ID: memberID, Name: "jon", Profile: slack.UserProfile{Email: "jon@example.com"}})

	fmt.Printf(`Fakes running. Start the bot in another terminal with:

  SLACK_APP_TOKEN=%s SLACK_BOT_TOKEN=%s \
  SLACK_API_URL=%s \
  PAPERSPACE_API_KEY=%s PAPERSPACE_API_URL=%s \
  ADMIN_USER_IDS=%s APPROVAL_CHANNEL_ID=C_APPROVALS HTTP_ADDR=127.0.0.1:8080 LOG_FORMAT=console \
  go run ./cmd/paperspace-bot

Then type: create my-box, submit, messages, "as %s create", quit.
`, fakeslack.DefaultAppToken, fakeslack.DefaultBotToken, s.APIURL(), fakecoreapi.DefaultAPIKey, core.URL(), adminID, memberID)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go printNewMessages(ctx, s)

	t := tryout{slack: s}
	lines := bufio.NewScanner(os.Stdin)
	for {
		fmt.Print("> ")
		if !lines.Scan() || ctx.Err() != nil {
			return
		}
		if err := t.run(strings.TrimSpace(lines.Text())); err != nil {
			if err == errQuit {
				return
			}
			fmt.Println("error:", err)
		}
	}
}

var errQuit = fmt.Errorf("quit")

// tryout plays a Slack user against the fake.
type tryout struct {
	slack *fakeslack.Server
	// lastUser ran the latest command, and submits its form.
	lastUser string
}

func (t *tryout) run(line string) error {
	word, rest, _ := strings.Cut(line, " ")
	switch word {
	case "":
		return nil
	case "quit", "exit":
		return errQuit
	case "create":
		return t.command(adminID, strings.TrimSpace("create "+rest))
	case "as":
		user, text, _ := strings.Cut(rest, " ")
		return t.command(user, text)
	case "submit":
		return t.submit()
	case "messages":
		for _, m := range t.slack.AllMessages() {
			printMessage(m)
		}
		return nil
	}
	return t.command(adminID, line)
}

// command sends "/paperspace text" as user and waits for its ack.
func (t *tryout) command(user, text string) error {
	if t.slack.Connections() == 0 {
		return fmt.Errorf("the bot is not connected yet; start it with the settings above")
	}
	t.lastUser = user
	env := t.slack.SlashCommand(fakeslack.SlashCommandArgs{UserID: user, ChannelID: channelID, Command: "/paperspace", Text: text})
	return t.sendAndWait(env)
}

// submit submits the newest create or request form with valid values:
// the first template and user the fake Core API serves.
func (t *tryout) submit() error {
	var viewID string
	for _, id := range t.slack.ViewIDs() {
		raw, _ := t.slack.View(id)
		var v struct {
			CallbackID string `json:"callback_id"`
		}
		_ = json.Unmarshal(raw, &v)
		if v.CallbackID == "create_machine" || v.CallbackID == "request_machine" {
			viewID = id
		}
	}
	if viewID == "" {
		return fmt.Errorf("no form is open; type create first")
	}
	values := fakeslack.Values{
		"machine_name": {"machine_name": fakeslack.TextValue("my-box")},
		"region":       {"region": fakeslack.SelectValue("East Coast (NY2)", "East Coast (NY2)")},
		"machine_type": {"machine_type": fakeslack.SelectValue("Air", "Air")},
		"template":     {"template": fakeslack.ExternalSelectValue("t123abc", "Windows 10")},
		"storage_size": {"storage_size": fakeslack.SelectValue("50", "50 GB")},
		"assignee":     {"assignee": fakeslack.ExternalSelectValue("u123abc", "Jon Snow")},
	}
	env := t.slack.ViewSubmission(fakeslack.ViewSubmissionArgs{UserID: t.lastUser, View: fakeslack.ViewArgs{ID: viewID, Values: values}})
	return t.sendAndWait(env)
}

func (t *tryout) sendAndWait(env fakeslack.Envelope) error {
	if err := t.slack.Send(env); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ack, err := t.slack.WaitAck(ctx, env.EnvelopeID)
	if err != nil {
		return fmt.Errorf("no acknowledgement from the bot: %w", err)
	}
	fmt.Printf("acknowledged %s", env.EnvelopeID)
	if len(ack.Payload) > 0 && string(ack.Payload) != "null" {
		fmt.Printf(" with %s", ack.Payload)
	}
	fmt.Println()
	return nil
}

// printNewMessages prints each message the bot posts or changes.
func printNewMessages(ctx context.Context, s *fakeslack.Server) {
	seen := map[string]int{}
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, m := range s.AllMessages() {
			key := m.Channel + "/" + m.TS
			if updates, ok := seen[key]; ok && updates == m.Updates {
				continue
			}
			seen[key] = m.Updates
			printMessage(m)
		}
	}
}

func printMessage(m fakeslack.Message) {
	kind := "message"
	switch {
	case m.Ephemeral:
		kind = "ephemeral to " + m.User
	case m.ThreadTS != "" && m.ThreadTS != m.TS:
		kind = "thread reply"
	case m.Updates > 0:
		kind = fmt.Sprintf("message (update %d)", m.Updates)
	}
	fmt.Printf("\n[%s in %s] %s\n> ", kind, m.Channel, m.Text)
}
