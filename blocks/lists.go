package blocks

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

const (
	// listTextBudget is the number of runes of block text after which a
	// list continues in another message, well below Slack's limits, so
	// that each message stays quick to read and to render.
	listTextBudget = 12000
	// maxListLine is the longest line of a list, in runes, so that any
	// line fits in one section.
	maxListLine = 1000
)

// RequestList builds the reply to "requests": the pending requests, one
// line each, split over as many messages as the limits need. now decides
// whether a request is past its expiry time. An empty list gives one
// message stating that no request is waiting.
func RequestList(reqs []*paperspacebot.Request, now time.Time) []Message {
	var lines []string
	for _, r := range reqs {
		if r == nil {
			continue
		}
		line := "• " + bold(specName(r.Spec)) + " · " + orDash(r.Spec.MachineType) + " · " + orDash(r.Spec.Region) +
			" · from " + mention(r.RequesterID) + " · asked " + date(r.CreatedAt)
		switch {
		case r.ExpiresAt.IsZero():
		case r.ExpiresAt.After(now):
			line += " · expires " + date(r.ExpiresAt)
		default:
			line += " · past its expiry time"
		}
		lines = append(lines, line+" · request "+codeOr(r.ID, unknownValue))
	}
	return listMessages(fmt.Sprintf("Pending requests: %d", len(lines)), "No requests are waiting for an admin.", lines)
}

// MachineList builds the reply to "list": the machines the bot created,
// with name, id, last known state and requester, split over as many
// messages as the limits need. An empty list gives one message stating
// that there are none.
func MachineList(reqs []*paperspacebot.Request) []Message {
	var lines []string
	for _, r := range reqs {
		if r == nil {
			continue
		}
		lines = append(lines, "• "+bold(machineName(r))+" · "+codeOr(machineID(r), "no machine id")+" · "+
			Escape(requestStateText(r))+" · requested by "+mention(r.RequesterID))
	}
	return listMessages(fmt.Sprintf("Machines created by the bot: %d", len(lines)), "The bot has not created any machines.", lines)
}

// TemplateList builds the reply to "templates [text]": one line per
// template with its label, OS, id and, for team templates, region, split
// over as many messages as the limits need. query is the text the user
// searched for, or "" for all templates.
func TemplateList(templates []paperspace.Template, query string) []Message {
	var lines []string
	for _, t := range templates {
		parts := []string{bold(firstNonEmpty(t.Label, t.OS, t.ID, "unnamed"))}
		if t.Label != "" && t.OS != "" {
			parts = append(parts, safe(t.OS, nameRunes))
		}
		parts = append(parts, codeOr(t.ID, "no id"))
		if t.Region != "" {
			parts = append(parts, safe(t.Region, nameRunes))
		}
		lines = append(lines, "• "+strings.Join(parts, optionSeparator))
	}

	query = strings.TrimSpace(query)
	title := fmt.Sprintf("Templates: %d", len(lines))
	empty := "No templates found."
	if query != "" {
		q := Truncate(query, nameRunes)
		title = fmt.Sprintf("Templates matching \u201c%s\u201d: %d", q, len(lines))
		empty = "No templates match " + quote(query) + "."
	}
	return listMessages(title, empty, lines)
}

// listMessages splits lines over messages. Each message has a header with
// title (and "(i of n)" when there are several), then sections of whole
// lines, and stays within listTextBudget runes of block text and within
// MaxMessageBlocks. title is plain text, and lines and empty are mrkdwn.
func listMessages(title, empty string, lines []string) []Message {
	if len(lines) == 0 {
		return []Message{newMessage(Escape(title)+". "+empty,
			slack.NewHeaderBlock(plain(Truncate(title, MaxHeaderText))), section(empty))}
	}

	pages := paginate(lines)
	messages := make([]Message, 0, len(pages))
	for i, sections := range pages {
		heading := title
		if len(pages) > 1 {
			heading = fmt.Sprintf("%s (%d of %d)", title, i+1, len(pages))
		}
		heading = Truncate(heading, MaxHeaderText)
		blocks := []slack.Block{slack.NewHeaderBlock(plain(heading))}
		for _, text := range sections {
			blocks = append(blocks, slack.NewSectionBlock(markdown(text), nil, nil))
		}
		messages = append(messages, newMessage(Escape(heading), blocks...))
	}
	return messages
}

// paginate packs lines into section texts of at most MaxSectionText runes,
// and those into pages within listTextBudget runes and MaxMessageBlocks-1
// sections, leaving room for the header.
func paginate(lines []string) [][]string {
	// Each page starts with room for its header and the newline after it.
	const headerRunes = MaxHeaderText + 1

	var pages [][]string
	var page []string
	var text strings.Builder
	pageRunes := headerRunes

	flushSection := func() {
		if text.Len() == 0 {
			return
		}
		page = append(page, text.String())
		text.Reset()
	}
	flushPage := func() {
		flushSection()
		if len(page) > 0 {
			pages = append(pages, page)
		}
		page = nil
		pageRunes = headerRunes
	}

	for _, line := range lines {
		line = Truncate(line, maxListLine)
		n := utf8.RuneCountInString(line)
		if pageRunes+n+1 > listTextBudget {
			flushPage()
		}
		if utf8.RuneCountInString(text.String())+n+1 > MaxSectionText {
			flushSection()
			if len(page) == MaxMessageBlocks-1 {
				flushPage()
			}
		}
		if text.Len() > 0 {
			text.WriteByte('\n')
		}
		text.WriteString(line)
		pageRunes += n + 1
	}
	flushPage()
	return pages
}
