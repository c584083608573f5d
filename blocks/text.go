package blocks

import (
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Escape returns s with the three characters that Slack's mrkdwn treats as
// control characters (&, < and >) replaced by their HTML entities, so that
// text typed by a user or returned by the Core API cannot mention a
// channel, link elsewhere or break a message's layout.
func Escape(s string) string {
	return mrkdwnEscaper.Replace(s)
}

var mrkdwnEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// Lengths, in runes, to which values from users and the Core API are cut
// before they are escaped. Escaping can make a text up to five times
// longer, so the caps keep every field and section within Slack's limits.
const (
	nameRunes    = 100 // machine, template, user and network names
	valueRunes   = 200 // other single values, such as emails and ids
	failureRunes = 500 // Core API error messages and deny reasons
)

// safe cuts s to max runes and escapes it for mrkdwn.
func safe(s string, max int) string {
	return Escape(Truncate(s, max))
}

// plain returns a plain_text object. Emoji shortcodes such as :warning:
// render because Slack's default for plain_text is emoji: true.
func plain(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.PlainTextType, Text: s}
}

// markdown returns a mrkdwn text object. s must already be escaped.
func markdown(s string) *slack.TextBlockObject {
	return &slack.TextBlockObject{Type: slack.MarkdownType, Text: s}
}

// section returns a section block with mrkdwn text cut to MaxSectionText.
func section(text string) *slack.SectionBlock {
	return slack.NewSectionBlock(markdown(Truncate(text, MaxSectionText)), nil, nil)
}

// contextBlock returns a context block with one mrkdwn element per line.
func contextBlock(lines ...string) *slack.ContextBlock {
	elements := make([]slack.MixedElement, 0, len(lines))
	for _, line := range lines {
		elements = append(elements, markdown(Truncate(line, MaxSectionText)))
	}
	return slack.NewContextBlock("", elements...)
}

// field returns a section field: the label in bold above the value. value
// must be escaped mrkdwn, and an empty value shows as "not known yet".
func field(label, value string) *slack.TextBlockObject {
	if strings.TrimSpace(value) == "" {
		value = unknownValue
	}
	return markdown(Truncate("*"+label+"*\n"+value, MaxFieldText))
}

// Wording for values that are missing.
const (
	unknownValue = "not known yet"
	noValue      = "—"
)

// mention returns the mrkdwn mention of a Slack user id, or "an unknown
// member" when the id is empty.
func mention(userID string) string {
	if userID == "" {
		return "an unknown member"
	}
	return "<@" + Escape(userID) + ">"
}

// channelLink returns the mrkdwn link to a Slack channel id, or "the
// channel where the command ran" when the id is empty.
func channelLink(channelID string) string {
	if channelID == "" {
		return "the channel where the command ran"
	}
	return "<#" + Escape(channelID) + ">"
}

// code returns s as inline code, cut and escaped. A backtick inside s
// would end the code span, so it is replaced by a prime.
func code(s string) string {
	return "`" + safe(strings.ReplaceAll(s, "`", "ʹ"), valueRunes) + "`"
}

// bold returns s in bold, cut and escaped. Slack has no escape for "*", so
// an asterisk inside s is replaced by a similar-looking operator that does
// not end the bold span.
func bold(s string) string {
	return "*" + safe(strings.ReplaceAll(s, "*", "∗"), nameRunes) + "*"
}

// quote returns s in double quotes, cut and escaped, for messages shown as
// the Core API gave them.
func quote(s string) string {
	return "\u201c" + safe(strings.TrimSpace(s), failureRunes) + "\u201d"
}

// date returns a Slack date token that each reader sees in their own time
// zone, with the RFC 3339 time in UTC as the fallback text. A zero time
// gives "an unknown time".
func date(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return fmt.Sprintf("<!date^%d^{date_short_pretty} at {time}|%s>", t.Unix(), t.UTC().Format(time.RFC3339))
}

// plainDate returns the RFC 3339 time in UTC, for text fallbacks where a
// date token is not rendered.
func plainDate(t time.Time) string {
	if t.IsZero() {
		return "an unknown time"
	}
	return t.UTC().Format(time.RFC3339)
}

// blockID returns the parts joined by ":" and cut to MaxID. Request ids are
// short, so the cut matters only for ids that were not made by the bot.
func blockID(parts ...string) string {
	return cutRunes(strings.Join(parts, ":"), MaxID)
}

// firstNonEmpty returns the first of values that is not empty or blank.
func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
