package blocks

import (
	"strings"

	"github.com/slack-go/slack"
)

// Message is a Slack message: blocks, and the plain text fallback that
// notifications show. Text repeats the gist of the blocks in one or two
// lines.
type Message struct {
	Text   string        `json:"text"`
	Blocks []slack.Block `json:"blocks"`
}

// MsgOptions returns the options that post or update m with slack-go's
// chat methods.
func (m Message) MsgOptions() []slack.MsgOption {
	return []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
}

// newMessage returns a message whose fallback text is cut to
// MaxMessageText.
func newMessage(text string, blocks ...slack.Block) Message {
	return Message{Text: Truncate(text, MaxMessageText), Blocks: blocks}
}

// ErrorMessage builds an error shown only to the user who caused it:
// ":warning: " followed by text. text is mrkdwn, so the caller escapes
// any user text in it (see Escape).
func ErrorMessage(text string) Message {
	line := ":warning: " + strings.TrimSpace(text)
	return newMessage(line, section(line))
}

// HelpMessage builds the reply to "<command> help": every subcommand, and
// who may create machines. An empty command means "/paperspace".
func HelpMessage(command string) Message {
	command = strings.TrimSpace(command)
	if command == "" {
		command = "/paperspace"
	}
	c := "`" + Escape(command)
	lines := []string{
		"*How to use " + Escape(command) + "*",
		c + " create [name]`: open the form to create a machine, with the name filled in if you give one.",
		c + " requests`: list the requests that wait for an admin (admins only).",
		c + " list`: list the machines this bot created, with their last known state.",
		c + " status &lt;machine-id&gt;`: show one machine's current state from Paperspace.",
		c + " templates [text]`: list the templates whose name, OS or id contains the text.",
		c + " help`: show this help.",
	}
	who := "Team admins create machines directly. When another member submits the form, " +
		"it becomes a request that an admin approves or denies; the member gets the decision by direct message. " +
		"Machines are billed by the hour."
	text := "How to use " + Escape(command) + ": create, requests, list, status, templates and help."
	return newMessage(text, section(strings.Join(lines, "\n")), contextBlock(Escape(who)))
}
