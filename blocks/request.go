package blocks

import (
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// RequestMessage builds the message posted in the approvals channel for a
// member's request: who asked and when, every field of the spec, when the
// request expires, and the Approve (ActionApprove) and Deny (ActionDeny)
// buttons whose value is the request id. now is used as the request's
// time when r.CreatedAt is zero.
func RequestMessage(r *paperspacebot.Request, now time.Time) Message {
	r = orEmpty(r)
	asked := r.CreatedAt
	if asked.IsZero() {
		asked = now
	}
	blocks := requestSummary(r, "request", asked)
	if !r.ExpiresAt.IsZero() {
		blocks = append(blocks, contextBlock("Expires "+date(r.ExpiresAt)+" if no admin decides."))
	}

	approve := slack.NewButtonBlockElement(ActionApprove, r.ID, plain("Approve")).WithStyle(slack.StylePrimary)
	deny := slack.NewButtonBlockElement(ActionDeny, r.ID, plain("Deny")).WithStyle(slack.StyleDanger)
	blocks = append(blocks, slack.NewActionBlock(blockID("request", r.ID, "actions"), approve, deny))

	text := "Machine request from " + mention(r.RequesterID) + " for " + safe(specName(r.Spec), nameRunes) + "."
	return newMessage(text, blocks...)
}

// RequestDecidedMessage builds the replacement for a request message once
// the request is decided: the same summary without buttons, under new
// block ids. A last line states who approved or denied the request and
// when, with the reason for a denial, or when it expired.
func RequestDecidedMessage(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	outcome := decisionLine(r)
	blocks := requestSummary(r, "decided", r.CreatedAt)
	blocks = append(blocks, slack.NewSectionBlock(markdown(Truncate(outcome, MaxSectionText)), nil, nil,
		slack.SectionBlockOptionBlockID(blockID("decided", r.ID, "outcome"))))

	text := "Machine request from " + mention(r.RequesterID) + " for " + safe(specName(r.Spec), nameRunes) + ": " +
		decisionFallback(r)
	return newMessage(text, blocks...)
}

// requestSummary returns the blocks that describe a request, with block ids
// that start with prefix and the request id.
func requestSummary(r *paperspacebot.Request, prefix string, asked time.Time) []slack.Block {
	intro := ":inbox_tray: *Machine request* from " + mention(r.RequesterID) + ", " + date(asked)
	return []slack.Block{
		slack.NewSectionBlock(markdown(intro), nil, nil, slack.SectionBlockOptionBlockID(blockID(prefix, r.ID, "intro"))),
		slack.NewSectionBlock(nil, specFields(r.Spec), nil, slack.SectionBlockOptionBlockID(blockID(prefix, r.ID, "spec"))),
	}
}

// decisionLine returns the mrkdwn line that states how a request ended.
func decisionLine(r *paperspacebot.Request) string {
	switch r.State {
	case paperspacebot.StatePending:
		return ":hourglass_flowing_sand: Still waiting for an admin."
	case paperspacebot.StateDenied:
		line := ":no_entry: Denied by " + mention(r.DecidedBy) + ", " + date(r.DecidedAt)
		if r.DenyReason == "" {
			return line + " without a reason."
		}
		return line + ": " + quote(r.DenyReason)
	case paperspacebot.StateExpired:
		return ":hourglass: Expired " + date(expiredAt(r)) + " because no admin decided."
	}
	return ":white_check_mark: Approved by " + mention(r.DecidedBy) + ", " + date(r.DecidedAt)
}

// decisionFallback returns the plain text outcome for a text fallback.
func decisionFallback(r *paperspacebot.Request) string {
	switch r.State {
	case paperspacebot.StatePending:
		return "waiting for an admin."
	case paperspacebot.StateDenied:
		return "denied by " + mention(r.DecidedBy) + "."
	case paperspacebot.StateExpired:
		return "expired at " + plainDate(expiredAt(r)) + "."
	}
	return "approved by " + mention(r.DecidedBy) + "."
}

// expiredAt returns when the request expired: its expiry time, or when it
// was last written.
func expiredAt(r *paperspacebot.Request) time.Time {
	if !r.ExpiresAt.IsZero() {
		return r.ExpiresAt
	}
	return r.UpdatedAt
}

// RequestOutcomeDM builds the direct message that informs the requester
// how their request ended. An approval names the channel where the results
// will be posted, and a denial quotes the reason.
func RequestOutcomeDM(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	subject := "Your request for machine " + bold(specName(r.Spec))
	plainSubject := "Your request for machine " + safe(specName(r.Spec), nameRunes)

	var text, fallback string
	switch r.State {
	case paperspacebot.StateDenied:
		text = ":no_entry: " + subject + " was denied by " + mention(r.DecidedBy)
		fallback = plainSubject + " was denied."
		if r.DenyReason == "" {
			text += ". They gave no reason."
		} else {
			text += ": " + quote(r.DenyReason)
			fallback = plainSubject + " was denied: " + quote(r.DenyReason)
		}
	case paperspacebot.StateExpired:
		text = ":hourglass: " + subject + " expired because no admin decided in time. Submit a new request if you still need the machine."
		fallback = plainSubject + " expired."
	case paperspacebot.StatePending:
		text = ":hourglass_flowing_sand: " + subject + " is waiting for an admin."
		fallback = plainSubject + " is waiting for an admin."
	default:
		text = ":white_check_mark: " + subject + " was approved by " + mention(r.DecidedBy) +
			". The machine is being created; the results will be posted in " + channelLink(r.ChannelID) + "."
		fallback = plainSubject + " was approved."
	}
	return newMessage(fallback, section(text))
}
