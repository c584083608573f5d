package blocks

import (
	"strings"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// maxDenyReason is the longest deny reason the deny modal accepts.
const maxDenyReason = 500

// LoadingModal builds a modal with no submit button that shows text while
// the bot loads what a form needs. The title is cut to MaxModalText. An
// empty title or text is replaced by "Loading" or "Loading…".
func LoadingModal(title, text string) slack.ModalViewRequest {
	if strings.TrimSpace(title) == "" {
		title = "Loading"
	}
	if strings.TrimSpace(text) == "" {
		text = "Loading…"
	}
	block := slack.NewSectionBlock(plain(Truncate(text, MaxSectionText)), nil, nil)
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackLoading,
		Title:      plain(Truncate(title, MaxModalText)),
		Close:      plain("Close"),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{block}},
	}
}

// NoticeModal builds a modal with no submit button that shows text as
// mrkdwn, for progress ("Checking availability…"), results and refusals.
// The caller escapes any user text in text (see Escape). The title is cut
// to MaxModalText, and an empty title is replaced by "Notice".
func NoticeModal(title, text string) slack.ModalViewRequest {
	if strings.TrimSpace(title) == "" {
		title = "Notice"
	}
	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: CallbackNotice,
		Title:      plain(Truncate(title, MaxModalText)),
		Close:      plain("Close"),
		Blocks:     slack.Blocks{BlockSet: []slack.Block{section(text)}},
	}
}

// DenyModal builds the modal in which an admin denies r: a summary of the
// request and a required reason (BlockDenyReason) that the requester gets
// by direct message.
func DenyModal(r *paperspacebot.Request, privateMetadata string) slack.ModalViewRequest {
	r = orEmpty(r)
	reason := slack.NewPlainTextInputBlockElement(nil, BlockDenyReason)
	reason.Multiline = true
	reason.MaxLength = maxDenyReason
	input := slack.NewInputBlock(BlockDenyReason, plain("Reason"),
		plain("The requester gets this reason by direct message."), reason)

	blocks := []slack.Block{
		section("Deny the request from " + mention(r.RequesterID) + " for machine " + bold(specName(r.Spec)) + "?"),
		slack.NewSectionBlock(nil, specFields(r.Spec), nil),
		input,
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      CallbackDeny,
		Title:           plain("Deny request"),
		Submit:          plain("Deny"),
		Close:           plain("Cancel"),
		PrivateMetadata: privateMetadata,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// orEmpty returns r, or an empty request when r is nil, so that builders
// render placeholders instead of panicking.
func orEmpty(r *paperspacebot.Request) *paperspacebot.Request {
	if r == nil {
		return &paperspacebot.Request{}
	}
	return r
}

// specName returns the machine name of spec, or "unnamed" when it is empty.
func specName(spec paperspacebot.Spec) string {
	return firstNonEmpty(spec.Name, "unnamed")
}
