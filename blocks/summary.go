package blocks

import (
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// specFields returns the nine section fields that summarise a machine
// spec, for request messages and the deny modal.
func specFields(spec paperspacebot.Spec) []*slack.TextBlockObject {
	return []*slack.TextBlockObject{
		field("Name", safe(specName(spec), nameRunes)),
		field("Region", orDash(spec.Region)),
		field("Machine type", orDash(spec.MachineType)),
		field("Template", templateText(spec)),
		field("Storage", storageText(spec.SizeGB)),
		field("Belongs to", specOwner(spec)),
		field("Public IP", yesNo(spec.PublicIP, "requested", "not requested")),
		field("Network", orWord(spec.NetworkID, "none")),
		field("Notification email", orWord(spec.NotificationEmail, "none")),
	}
}

// orDash returns value cut and escaped, or "—" when it is empty.
func orDash(value string) string {
	return orWord(value, noValue)
}

// orWord returns value cut and escaped, or word when value is empty.
func orWord(value, word string) string {
	if strings.TrimSpace(value) == "" {
		return word
	}
	return safe(value, valueRunes)
}

func yesNo(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}

func storageText(gb int) string {
	if gb <= 0 {
		return noValue
	}
	return strconv.Itoa(gb) + " GB"
}

// templateText returns the template's label and id, or whichever is set.
func templateText(spec paperspacebot.Spec) string {
	switch {
	case spec.TemplateLabel != "" && spec.TemplateID != "":
		return safe(spec.TemplateLabel, nameRunes) + " (" + code(spec.TemplateID) + ")"
	case spec.TemplateID != "":
		return code(spec.TemplateID)
	case spec.TemplateLabel != "":
		return safe(spec.TemplateLabel, nameRunes)
	}
	return noValue
}

// specOwner returns who the machine is for, as the spec states it.
func specOwner(spec paperspacebot.Spec) string {
	return owner(spec, "")
}

// owner returns the Paperspace user the machine belongs to: the chosen
// existing user with its id, or the new user's email followed by userID
// when the Paperspace id of that user is known.
func owner(spec paperspacebot.Spec, userID string) string {
	switch {
	case spec.AssigneeLabel != "" && spec.AssigneeID != "":
		return safe(spec.AssigneeLabel, nameRunes) + " " + code(spec.AssigneeID)
	case spec.AssigneeLabel != "":
		return safe(spec.AssigneeLabel, nameRunes)
	case spec.AssigneeID != "":
		return code(spec.AssigneeID)
	case spec.NewUser != nil && strings.TrimSpace(spec.NewUser.Email) != "":
		text := "new user " + safe(spec.NewUser.Email, valueRunes)
		if name := personName(spec.NewUser.FirstName, spec.NewUser.LastName); name != "" {
			text += " (" + safe(name, nameRunes) + ")"
		}
		if userID != "" {
			text += ", " + code(userID)
		}
		return text
	case userID != "":
		return code(userID)
	}
	return "not chosen"
}

// personName joins a first and last name, either of which may be empty.
func personName(first, last string) string {
	return strings.TrimSpace(strings.TrimSpace(first) + " " + strings.TrimSpace(last))
}
