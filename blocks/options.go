package blocks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// optionSeparator joins the parts of an option's text.
const optionSeparator = " · "

// maxKeptOS is the longest OS name that TemplateOption keeps after a cut
// label. A longer one is cut together with the label.
const maxKeptOS = 30

// TemplateOption returns the option for t in the template select. Its text
// is the label followed by " · " and the OS, or the OS alone when the label
// is empty, or the id when both are empty. When the text is too long the
// label is cut so that a short OS still shows. The description gives the
// id when the text does not, and the region of a team template. The value
// is the id. TemplateOption returns nil when the id is empty or longer than
// MaxOptionValue, because such an option could not be selected.
func TemplateOption(t paperspace.Template) *slack.OptionBlockObject {
	if t.ID == "" || !fitsValue(t.ID) {
		return nil
	}
	label := strings.TrimSpace(t.Label)
	os := strings.TrimSpace(t.OS)

	var text string
	switch {
	case label != "" && os != "":
		text = label + optionSeparator + os
		if utf8.RuneCountInString(text) > MaxOptionText && utf8.RuneCountInString(os) <= maxKeptOS {
			room := MaxOptionText - utf8.RuneCountInString(optionSeparator+os)
			text = Truncate(label, room) + optionSeparator + os
		}
	case label != "":
		text = label
	case os != "":
		text = os
	default:
		text = t.ID
	}

	var details []string
	if text != t.ID {
		details = append(details, t.ID)
	}
	if t.Region != "" {
		details = append(details, t.Region)
	}
	return option(t.ID, text, strings.Join(details, optionSeparator))
}

// UserOption returns the option for u in the assignee select. Its text is
// "First Last <email>", or whichever of the name and the email is set, or
// the id. The value is the id. UserOption returns nil when the id is empty
// or longer than MaxOptionValue.
func UserOption(u paperspace.User) *slack.OptionBlockObject {
	if u.ID == "" || !fitsValue(u.ID) {
		return nil
	}
	name := personName(u.Firstname, u.Lastname)
	email := strings.TrimSpace(u.Email)

	var text string
	switch {
	case name != "" && email != "":
		text = name + " <" + email + ">"
	case email != "":
		text = email
	case name != "":
		text = name
	default:
		text = u.ID
	}
	return option(u.ID, text, "")
}

// optionsPayload is the block_suggestion ack. Unlike slack.OptionsResponse
// it always sends the options array, because slack-go's omitempty turns an
// empty list into {}, which Slack does not accept as a list of options.
type optionsPayload struct {
	Options []*slack.OptionBlockObject `json:"options"`
}

// MaxOptionsPayloadBytes bounds the JSON of a block_suggestion ack's
// payload. Slack drops acknowledgements of 20 KiB or more, and the ack adds
// the envelope id around the payload.
const MaxOptionsPayloadBytes = 19 * 1024

// OptionsResponse returns the payload to ack a block_suggestion with:
// {"options":[…]} holding the first MaxOptions of opts that are not nil,
// and {"options":[]} when there are none. When the options would make the
// payload larger than MaxOptionsPayloadBytes, the last ones are dropped.
// total is the number of matches before any were dropped. When it exceeds
// the number of options shown, the last option's description becomes a
// hint to type more. The options in opts are not modified.
func OptionsResponse(opts []*slack.OptionBlockObject, total int) any {
	shown := make([]*slack.OptionBlockObject, 0, min(len(opts), MaxOptions))
	matches := 0
	for _, o := range opts {
		if o == nil {
			continue
		}
		matches++
		if len(shown) < MaxOptions {
			shown = append(shown, o)
		}
	}
	total = max(total, matches)

	for {
		payload := withHint(shown, total)
		if len(shown) <= 1 || payloadSize(payload) <= MaxOptionsPayloadBytes {
			return payload
		}
		// Drop about a tenth of the options at a time: each step encodes the
		// whole list again.
		shown = shown[:len(shown)-max(1, len(shown)/10)]
	}
}

// withHint returns the payload for shown, with the type-more hint on the
// last option when total exceeds the options shown.
func withHint(shown []*slack.OptionBlockObject, total int) optionsPayload {
	if len(shown) == 0 || total <= len(shown) {
		return optionsPayload{Options: shown}
	}
	out := append([]*slack.OptionBlockObject(nil), shown...)
	last := *out[len(out)-1]
	hint := fmt.Sprintf("Showing %d of %d matches: type more to narrow the list.", len(out), total)
	last.Description = plain(Truncate(hint, MaxOptionText))
	out[len(out)-1] = &last
	return optionsPayload{Options: out}
}

// payloadSize returns the length of v's JSON as the bot sends it, without
// HTML escaping.
func payloadSize(v any) int {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return 0
	}
	return buf.Len()
}
