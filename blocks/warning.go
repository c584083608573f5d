package blocks

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// WarningKind is the kind of failure a create call ended in.
type WarningKind int

const (
	// WarnCreateFailed: the Core API rejected the create call.
	WarnCreateFailed WarningKind = iota
	// WarnOutcomeUnknown: the create call timed out, failed with a 5xx
	// status or lost its connection, and no machine with the name was
	// found after the attempt began.
	WarnOutcomeUnknown
	// WarnSeveralMachines: the outcome was unknown, and several machines
	// with the name were found after the attempt began.
	WarnSeveralMachines
	// WarnLookupFailed: the outcome was unknown, and looking the machine
	// up failed too.
	WarnLookupFailed
)

// UserState is whether the new user that a failed create call requested
// exists now.
type UserState int

const (
	// UserNotAsked: the create call sent no new-user fields.
	UserNotAsked UserState = iota
	// UserCreated: the new user exists now, with the id in Warning.UserID.
	UserCreated
	// UserNotCreated: the new user does not exist.
	UserNotCreated
	// UserUnknown: looking the new user up failed.
	UserUnknown
)

// maxCandidates is the number of candidate machines a warning lists.
const maxCandidates = 20

// Warning is everything ReconciliationWarning needs to explain a failed or
// uncertain create call.
type Warning struct {
	Kind    WarningKind
	Request *paperspacebot.Request
	// Failure is the Core API's error message, or a description of the
	// transport error. It is quoted as given.
	Failure string
	// Field is the request field that the Core API named, if any.
	Field string
	// UserState is whether the new user exists now.
	UserState UserState
	// UserID is the Paperspace id of the new user when UserState is
	// UserCreated.
	UserID string
	// Candidates are the machines found with the request's name
	// (WarnSeveralMachines).
	Candidates []paperspace.Machine
	// Retry shows a Retry button (ActionRetry) whose value is the request
	// id. WarnSeveralMachines ignores it, because another attempt could
	// create yet another machine of the same name.
	Retry bool
	// AdminHint is an optional extra line for the bot's operator, such as
	// a rejected API key. It is mrkdwn, so the caller escapes user text.
	AdminHint string
}

// ReconciliationWarning builds the warning posted when a create call
// failed or its outcome is unknown. It states what happened, whether a
// new user requested in the same call exists now, and what to do next. It
// shows a Retry button when w.Retry is set.
func ReconciliationWarning(w Warning) Message {
	r := orEmpty(w.Request)
	name := machineName(r)
	if w.Kind == WarnSeveralMachines {
		w.Retry = false
	}

	var first, fallback string
	var details []string
	switch w.Kind {
	case WarnOutcomeUnknown:
		first = ":warning: The create call for machine " + bold(name) + " did not return a result" + failureSuffix(w.Failure) + "."
		fallback = "The outcome of creating machine " + safe(name, nameRunes) + " is unknown."
		details = append(details, "No machine named "+bold(name)+" was found after the attempt began, in two lookups a few seconds apart, so it was most likely not created.")
		if w.Retry {
			details = append(details, "Retry looks for the machine once more before it creates one.")
		} else {
			details = append(details, "Run the create command again to try once more.")
		}
	case WarnSeveralMachines:
		if len(w.Candidates) == 1 {
			first = ":warning: The create call for machine " + bold(name) + " did not return a result" + failureSuffix(w.Failure) +
				", and a machine with that name was found that the bot cannot tell belongs to this request."
			fallback = "A machine named " + safe(name, nameRunes) + " was found after a create call failed, but may not belong to this request."
		} else {
			first = ":warning: The create call for machine " + bold(name) + " did not return a result" + failureSuffix(w.Failure) +
				", and several machines with that name were found, so the bot cannot tell which one belongs to this request."
			fallback = "Several machines named " + safe(name, nameRunes) + " were found after a create call failed."
		}
		details = append(details, candidateLines(w.Candidates)...)
		details = append(details, "Check them in the Paperspace console and delete any you do not need. "+
			"The bot offers no Retry, because it could create yet another machine.")
	case WarnLookupFailed:
		first = ":warning: The create call for machine " + bold(name) + " did not return a result" + failureSuffix(w.Failure) +
			", and looking the machine up failed too, so the bot cannot tell whether it exists."
		fallback = "The bot cannot tell whether machine " + safe(name, nameRunes) + " was created."
		details = append(details, "Check the Paperspace console for a machine named "+bold(name)+" before you retry.")
	default:
		first = ":warning: Creating machine " + bold(name) + " failed."
		fallback = "Creating machine " + safe(name, nameRunes) + " failed."
		details = append(details, rejectionLine(w.Failure, w.Field))
		if w.Retry {
			details = append(details, "Fix the cause and press Retry, or run the create command again with other settings.")
		} else {
			details = append(details, "Fix the cause and run the create command again.")
		}
	}
	if line := newUserLine(w, r.Spec); line != "" {
		details = append(details, line)
	}

	blocks := []slack.Block{section(first + "\n" + strings.Join(details, "\n"))}
	notes := []string{"Request " + codeOr(r.ID, unknownValue) + " from " + mention(r.RequesterID)}
	if strings.TrimSpace(w.AdminHint) != "" {
		notes = append(notes, w.AdminHint)
	}
	blocks = append(blocks, contextBlock(notes...))
	if w.Retry && r.ID != "" {
		retry := slack.NewButtonBlockElement(ActionRetry, r.ID, plain("Retry"))
		blocks = append(blocks, slack.NewActionBlock(blockID("retry", r.ID, fmt.Sprint(r.Attempts)), retry))
	}
	return newMessage(":warning: "+fallback, blocks...)
}

// failureSuffix returns " (“message”)" for a failure message, or "".
func failureSuffix(failure string) string {
	if strings.TrimSpace(failure) == "" {
		return ""
	}
	return " (" + quote(failure) + ")"
}

// rejectionLine returns the line that quotes the Core API's rejection and
// names the field it blamed.
func rejectionLine(failure, field string) string {
	line := "The Core API rejected the request"
	if field != "" {
		line += " because of the " + code(field) + " field"
	}
	if strings.TrimSpace(failure) == "" {
		return line + " without a message."
	}
	return line + ": " + quote(failure)
}

// newUserLine returns the warning's line about the new user, or "" when
// the create call requested none.
func newUserLine(w Warning, spec paperspacebot.Spec) string {
	email := "the new user"
	if spec.NewUser != nil && strings.TrimSpace(spec.NewUser.Email) != "" {
		email = "the new user " + safe(spec.NewUser.Email, valueRunes)
	}
	switch w.UserState {
	case UserCreated:
		line := capitalize(email) + " exists now"
		if w.UserID != "" {
			line += " (" + code(w.UserID) + ")"
		}
		if w.Retry {
			return line + ". Retry assigns the machine to that user instead of creating the user again."
		}
		return line + ". Choose that user as the existing user when you create the machine again."
	case UserNotCreated:
		return capitalize(email) + " was not created."
	case UserUnknown:
		return "The bot could not check whether " + email + " was created. " +
			"Check the team's users in the Paperspace console before you retry."
	}
	return ""
}

// capitalize returns s with its first letter in upper case. s starts with
// an ASCII letter wherever it is used here.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// candidateLines returns one line per candidate machine, "`id` · state ·
// created <date>", with at most maxCandidates lines and a last line that
// counts the rest.
func candidateLines(candidates []paperspace.Machine) []string {
	var lines []string
	for i, m := range candidates {
		if i == maxCandidates {
			lines = append(lines, fmt.Sprintf("…and %d more.", len(candidates)-maxCandidates))
			break
		}
		lines = append(lines, "• "+codeOr(m.ID, "id not known")+" · "+orWord(m.State, "state not known")+
			" · created "+date(m.DtCreated))
	}
	if len(lines) == 0 {
		lines = append(lines, "The Core API returned no details about them.")
	}
	return lines
}
