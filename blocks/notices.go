package blocks

import (
	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// RetryStartedNotice replaces a reconciliation warning once someone pressed
// its Retry button, so the button cannot be pressed again.
func RetryStartedNotice(r *paperspacebot.Request, actor string) Message {
	r = orEmpty(r)
	name := machineName(r)
	return newMessage("Retry of machine "+safe(name, nameRunes)+" started.",
		section(":arrows_counterclockwise: "+mention(actor)+" retried the create of machine "+bold(name)+
			". The new attempt is posted below."))
}

// AttemptEndedNotice replaces an attempt's "Creating…" message when the
// attempt failed or its outcome is unknown; the warning follows it.
func AttemptEndedNotice(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	name := machineName(r)
	what := "did not create"
	if r.State == paperspacebot.StateUnknown {
		what = "could not confirm"
	}
	return newMessage("The create call "+what+" machine "+safe(name, nameRunes)+": see the warning below.",
		section(":x: The create call "+what+" machine "+bold(name)+": see the warning below."),
		contextBlock("Requested by "+mention(r.RequesterID)))
}

// PasswordDM is the direct message to the admin who created a new
// Paperspace user with a machine: the user's email, id and the password
// the bot generated. Only that admin receives it.
func PasswordDM(r *paperspacebot.Request, userID, password string) Message {
	r = orEmpty(r)
	email := ""
	if r.Spec.NewUser != nil {
		email = r.Spec.NewUser.Email
	}
	text := ":key: The Paperspace user " + code(email)
	if userID != "" {
		text += " (" + code(userID) + ")"
	}
	text += " was created with machine " + bold(machineName(r)) + ". Their password is " + code(password) +
		"\nShare it with them over a private channel and ask them to change it when they first sign in."
	return newMessage("Password of new Paperspace user "+safe(email, valueRunes), section(text))
}

// RequestSentNotice is the note to a member on where their request went.
func RequestSentNotice(r *paperspacebot.Request, approvalChannelID string) Message {
	r = orEmpty(r)
	name := specName(r.Spec)
	return newMessage("Your request for machine "+safe(name, nameRunes)+" was sent to the admins.",
		section(":inbox_tray: Your request for machine "+bold(name)+" was sent to the admins in "+channelLink(approvalChannelID)+
			". You will get a DM when it is approved or denied."))
}

// AlreadyDecidedNotice is the note to an admin that a request was decided before
// their click or submission: "already approved by @x" and the like.
func AlreadyDecidedNotice(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	var text string
	switch r.State {
	case paperspacebot.StatePending:
		text = "This request is still pending. Try again."
	case paperspacebot.StateDenied:
		text = "This request was already denied by " + mention(r.DecidedBy) + "."
	case paperspacebot.StateExpired:
		text = "This request already expired."
	default:
		text = "This request was already approved by " + mention(r.DecidedBy) + "."
	}
	return newMessage(text, section(":information_source: "+text))
}

// AlreadyRetriedNotice is the note to an admin that their Retry came second.
func AlreadyRetriedNotice(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	var text string
	switch r.State {
	case paperspacebot.StateCreating:
		text = "A retry is already running: " + mention(r.AttemptBy) + " started it."
	case paperspacebot.StateCreated, paperspacebot.StateReady, paperspacebot.StateStalled:
		text = "The machine was already created; no retry is needed."
	default:
		text = "This request cannot be retried now (it is " + string(r.State) + ")."
	}
	return newMessage(text, section(":information_source: "+text))
}
