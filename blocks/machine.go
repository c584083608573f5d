package blocks

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Context lines of the machine details message.
const (
	reconciledLine = "Found by reconciliation: the create call's answer was lost, so the bot looked the machine up by name."
	dryRunLine     = "Dry run: no machine was created."
)

// CreatingMessage builds the message posted when a create call starts:
// the machine name, who requested it and, for a member's request, who
// approved it.
func CreatingMessage(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	name := machineName(r)
	people := "Requested by " + mention(r.RequesterID)
	if r.DecidedBy != "" {
		people += " · Approved by " + mention(r.DecidedBy)
	}
	return newMessage("Creating machine "+safe(name, nameRunes)+"…",
		section(":hourglass_flowing_sand: Creating machine "+bold(name)+"…"),
		contextBlock(people))
}

// MachineDetails builds the message that shows a created machine, and is
// updated as the machine changes. Values come from r.Machine, which may be
// nil or mostly empty right after the create call. The name, region and
// machine type then come from r.Spec, and other missing values read "not
// known yet" or "—". now is the time of this update.
func MachineDetails(r *paperspacebot.Request, now time.Time) Message {
	r = orEmpty(r)
	m := r.Machine
	if m == nil {
		m = &paperspace.Machine{}
	}
	name := machineName(r)
	state := requestStateText(r)
	// A dry run never gets an id or a usage rate, so "not known yet"
	// would promise something that never comes.
	missing := unknownValue
	if r.State == paperspacebot.StateDryRun {
		missing = noValue
	}

	fields := []*slack.TextBlockObject{
		field("Name", safe(name, nameRunes)),
		field("ID", codeOr(m.ID, missing)),
		field("State", Escape(state)),
		field("Region", orDash(firstNonEmpty(m.Region, r.Spec.Region))),
		field("Machine type", orDash(firstNonEmpty(m.MachineType, r.Spec.MachineType))),
		field("Usage rate", orWord(m.UsageRate, missing)),
		field("Public IP", publicIPText(r, m)),
		field("Requested by", mention(r.RequesterID)),
		field("Belongs to", owner(r.Spec, firstNonEmpty(r.NewUserID, m.UserID))),
		field("Template", templateText(r.Spec)),
	}

	var notes []string
	if r.Reconciled {
		notes = append(notes, reconciledLine)
	}
	if r.DecidedBy != "" {
		notes = append(notes, "Approved by "+mention(r.DecidedBy))
	}
	if r.State == paperspacebot.StateDryRun {
		notes = append(notes, dryRunLine)
	}
	notes = append(notes, "Updated "+date(now))

	return newMessage(machineSentence(name, m.ID, state),
		slack.NewHeaderBlock(plain(Truncate("Machine "+name, MaxHeaderText))),
		slack.NewSectionBlock(nil, fields, nil),
		contextBlock(notes...))
}

// machineSentence returns the fallback "Machine <name> (<id>) is <state>.",
// leaving out the id when it is not known yet.
func machineSentence(name, id, state string) string {
	text := "Machine " + safe(name, nameRunes)
	if id != "" {
		text += " (" + safe(id, valueRunes) + ")"
	}
	if state == unknownValue {
		return text + ": state not known yet."
	}
	return text + " is " + Escape(state) + "."
}

// machineName returns the name the Core API reports, or the name in the
// spec, or "unnamed".
func machineName(r *paperspacebot.Request) string {
	if r.Machine != nil && strings.TrimSpace(r.Machine.Name) != "" {
		return r.Machine.Name
	}
	return specName(r.Spec)
}

// machineID returns the Core API id of the request's machine, or "".
func machineID(r *paperspacebot.Request) string {
	if r.Machine == nil {
		return ""
	}
	return r.Machine.ID
}

// requestStateText returns the machine's state as the Core API reports it
// ("provisioning", "ready", …), or a description of the request's state
// when the machine's state is not known.
func requestStateText(r *paperspacebot.Request) string {
	if r.Machine != nil && strings.TrimSpace(r.Machine.State) != "" {
		return r.Machine.State
	}
	switch r.State {
	case paperspacebot.StatePending:
		return "waiting for approval"
	case paperspacebot.StateDenied:
		return "denied"
	case paperspacebot.StateExpired:
		return "expired"
	case paperspacebot.StateCreating:
		return "being created"
	case paperspacebot.StateFailed:
		return "not created"
	case paperspacebot.StateReady:
		return paperspace.StateReady
	case paperspacebot.StateStalled:
		return "not ready"
	case paperspacebot.StateDryRun:
		return "not created (dry run)"
	}
	return unknownValue
}

// publicIPText returns the machine's public IP address, or the reason
// there is none.
func publicIPText(r *paperspacebot.Request, m *paperspace.Machine) string {
	switch {
	case m.PublicIPAddress != "":
		return code(m.PublicIPAddress)
	case !r.Spec.PublicIP:
		return "not requested"
	case r.State == paperspacebot.StateDryRun:
		return noValue
	case m.State == paperspace.StateReady, r.State == paperspacebot.StateReady, r.State == paperspacebot.StateStalled:
		return "none assigned"
	}
	return "not assigned yet"
}

// codeOr returns value as inline code, or word when value is empty.
func codeOr(value, word string) string {
	if strings.TrimSpace(value) == "" {
		return word
	}
	return code(value)
}

// MachineReadyReply builds the thread reply that notifies the requester
// that their machine is ready, with its public IP address when it has one. It mentions
// the requester so that Slack notifies them.
func MachineReadyReply(r *paperspacebot.Request) Message {
	r = orEmpty(r)
	text := mention(r.RequesterID) + " Machine " + bold(machineName(r))
	if id := machineID(r); id != "" {
		text += " (" + code(id) + ")"
	}
	text += " is ready."
	if r.Machine != nil && r.Machine.PublicIPAddress != "" {
		text += " Public IP: " + code(r.Machine.PublicIPAddress) + "."
	}
	return newMessage(text, section(text))
}

// StalledWarning builds the warning posted when a machine did not become
// ready. reason is quoted as the Core API gave it, and an empty reason is
// reported as none given.
func StalledWarning(r *paperspacebot.Request, reason string) Message {
	r = orEmpty(r)
	subject := "Machine " + bold(machineName(r))
	if id := machineID(r); id != "" {
		subject += " (" + code(id) + ")"
	}
	first := ":warning: " + subject + " did not become ready"
	if strings.TrimSpace(reason) == "" {
		first += ", and the Core API gave no reason."
	} else {
		first += ": " + quote(reason)
	}
	advice := "Check the machine in the Paperspace console before you use it, and delete it there if it is broken."
	return newMessage(first, section(first+"\n"+advice))
}

// MachineStatus builds the reply to "status <machine-id>": one machine as
// the Core API reports it now. A nil m gives a message stating that there
// is nothing to show.
func MachineStatus(m *paperspace.Machine) Message {
	if m == nil {
		return newMessage("No machine details to show.", section("No machine details to show."))
	}
	name := firstNonEmpty(m.Name, "unnamed")
	state := firstNonEmpty(m.State, unknownValue)

	storage := unknownValue
	if m.StorageTotal > 0 {
		storage = m.StorageTotal.String()
		if m.StorageUsed > 0 {
			storage = m.StorageUsed.String() + " used of " + storage
		}
	}
	cpus := unknownValue
	if m.CPUs > 0 {
		cpus = strconv.Itoa(m.CPUs)
	}
	ram := unknownValue
	if m.RAM > 0 {
		ram = m.RAM.String()
	}

	general := []*slack.TextBlockObject{
		field("Name", safe(name, nameRunes)),
		field("ID", codeOr(m.ID, unknownValue)),
		field("State", safe(state, valueRunes)),
		field("Region", orDash(m.Region)),
		field("Machine type", orDash(m.MachineType)),
		field("Usage rate", orWord(m.UsageRate, unknownValue)),
	}
	hardware := []*slack.TextBlockObject{
		field("Public IP", codeOr(m.PublicIPAddress, "none")),
		field("RAM", ram),
		field("CPUs", cpus),
		field("GPU", orWord(m.GPU, "none")),
		field("Storage", storage),
		field("Created", date(m.DtCreated)),
	}
	return newMessage(machineSentence(name, m.ID, state),
		slack.NewHeaderBlock(plain(Truncate("Machine "+name, MaxHeaderText))),
		slack.NewSectionBlock(nil, general, nil),
		slack.NewSectionBlock(nil, hardware, nil))
}
