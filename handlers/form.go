package handlers

import (
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Field limits the form enforces.
const (
	maxNameRunes   = blocks.MaxMachineName
	maxEmailRunes  = 254
	maxPersonRunes = 100
)

// formValues reads a submitted view's state. Each input is looked up by
// its block id, and its value is taken from whichever shape the element
// sends: text, a selected option, or checked options.
type formValues struct {
	state *slack.ViewState
}

func (f formValues) action(blockID string) (slack.BlockAction, bool) {
	if f.state == nil {
		return slack.BlockAction{}, false
	}
	actions, ok := f.state.Values[blockID]
	if !ok || len(actions) == 0 {
		return slack.BlockAction{}, false
	}
	if a, ok := actions[blockID]; ok {
		return a, true
	}
	for _, a := range actions {
		return a, true
	}
	return slack.BlockAction{}, false
}

// text returns an input's trimmed value: typed text, or the value of the
// selected option.
func (f formValues) text(blockID string) string {
	a, ok := f.action(blockID)
	if !ok {
		return ""
	}
	switch {
	case a.Value != "":
		return strings.TrimSpace(a.Value)
	case a.SelectedOption.Value != "":
		return strings.TrimSpace(a.SelectedOption.Value)
	case a.SelectedUser != "":
		return a.SelectedUser
	case len(a.SelectedOptions) > 0:
		return strings.TrimSpace(a.SelectedOptions[0].Value)
	}
	return ""
}

// optionText returns the display text of a selected option.
func (f formValues) optionText(blockID string) string {
	a, ok := f.action(blockID)
	if !ok || a.SelectedOption.Text == nil {
		return ""
	}
	return a.SelectedOption.Text.Text
}

// checked reports whether a yes/no input is on: a ticked checkbox, or a
// selected option or text meaning yes.
func (f formValues) checked(blockID string) bool {
	a, ok := f.action(blockID)
	if !ok {
		return false
	}
	for _, o := range a.SelectedOptions {
		if !isNo(o.Value) {
			return true
		}
	}
	for _, v := range []string{a.SelectedOption.Value, a.Value} {
		if v != "" {
			return !isNo(v)
		}
	}
	return false
}

func isNo(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "no", "off", "0", "none":
		return true
	}
	return false
}

// formErrors maps an input's block id to the message shown under it.
type formErrors map[string]string

// parseSpec reads and validates a machine form. It returns the spec and,
// when the form is invalid, one message per input block id. The catalog
// checks the template id and fills display labels when its lists are
// loaded. requireAssignee is false for a member's request, which may leave
// the assignee to the approving admin.
func parseSpec(state *slack.ViewState, catalog *Catalog, requireAssignee bool) (paperspacebot.Spec, formErrors) {
	f := formValues{state: state}
	errs := formErrors{}
	var spec paperspacebot.Spec

	spec.Name = f.text(blocks.BlockMachineName)
	switch n := blocks.CharacterCount(spec.Name); {
	case n == 0:
		errs[blocks.BlockMachineName] = "Enter a machine name."
	case n > maxNameRunes:
		errs[blocks.BlockMachineName] = fmt.Sprintf("The name is %d characters long: use 1 to %d.", n, maxNameRunes)
	case strings.ContainsFunc(spec.Name, hiddenRune):
		errs[blocks.BlockMachineName] = "The name cannot contain line breaks, control characters or invisible formatting characters."
	}

	spec.Region = f.text(blocks.BlockRegion)
	if !slices.Contains(paperspace.Regions, spec.Region) {
		errs[blocks.BlockRegion] = oneOf("region", spec.Region, paperspace.Regions)
	}

	spec.MachineType = f.text(blocks.BlockMachineType)
	if !slices.Contains(paperspace.MachineTypes, spec.MachineType) {
		errs[blocks.BlockMachineType] = oneOf("machine type", spec.MachineType, nil)
	}

	spec.TemplateID = f.text(blocks.BlockTemplate)
	spec.TemplateLabel = f.optionText(blocks.BlockTemplate)
	switch {
	case spec.TemplateID == "":
		errs[blocks.BlockTemplate] = "Choose a template."
	case utf8.RuneCountInString(spec.TemplateID) > blocks.MaxOptionValue:
		errs[blocks.BlockTemplate] = "This template id is not valid: choose a template from the list."
	default:
		if t, found, loaded := catalog.Template(spec.TemplateID); found {
			spec.TemplateLabel = templateLabel(t)
		} else if loaded {
			errs[blocks.BlockTemplate] = fmt.Sprintf("Template %s was not found on the team: choose another.", spec.TemplateID)
		}
	}

	size := f.text(blocks.BlockStorageSize)
	gb, err := strconv.Atoi(strings.TrimSuffix(strings.ToUpper(strings.TrimSpace(size)), " GB"))
	if err != nil || !slices.Contains(paperspace.StorageSizesGB, gb) {
		errs[blocks.BlockStorageSize] = fmt.Sprintf("Choose a storage size from the list (%s GB).", joinInts(paperspace.StorageSizesGB))
	}
	spec.SizeGB = gb

	parseAssignee(f, &spec, errs, catalog, requireAssignee)

	spec.PublicIP = f.checked(blocks.BlockPublicIP)
	spec.NetworkID = f.text(blocks.BlockNetwork)
	spec.NotificationEmail = f.text(blocks.BlockNotificationEmail)
	if spec.NotificationEmail != "" && !validEmail(spec.NotificationEmail) {
		errs[blocks.BlockNotificationEmail] = "Enter a valid email address, such as ops@example.com."
	}
	return spec, errs
}

// parseAssignee reads who gets the machine: exactly one of an existing
// team user or the three new-user fields, or neither when not required.
func parseAssignee(f formValues, spec *paperspacebot.Spec, errs formErrors, catalog *Catalog, required bool) {
	spec.AssigneeID = f.text(blocks.BlockAssignee)
	spec.AssigneeLabel = f.optionText(blocks.BlockAssignee)
	if u, ok := catalog.User(spec.AssigneeID); ok {
		spec.AssigneeLabel = userLabel(u)
	}
	newUser := paperspacebot.NewUser{
		Email:     f.text(blocks.BlockNewUserEmail),
		FirstName: f.text(blocks.BlockNewUserFirstName),
		LastName:  f.text(blocks.BlockNewUserLastName),
	}
	anyNew := newUser.Email != "" || newUser.FirstName != "" || newUser.LastName != ""

	switch {
	case spec.AssigneeID != "" && anyNew:
		errs[blocks.BlockAssignee] = "Choose an existing user or fill in a new user, not both."
		return
	case spec.AssigneeID != "":
		return
	case !anyNew && !required:
		return
	case !anyNew:
		errs[blocks.BlockAssignee] = "Choose who gets the machine: an existing user, or a new user's email and name below."
		return
	}

	switch existing, known := catalog.UserWithEmail(newUser.Email); {
	case newUser.Email == "":
		errs[blocks.BlockNewUserEmail] = "Enter the new user's email address."
	case !validEmail(newUser.Email):
		errs[blocks.BlockNewUserEmail] = "Enter a valid email address, such as jane@example.com."
	case known:
		errs[blocks.BlockNewUserEmail] = fmt.Sprintf("%s already has a Paperspace user (%s): choose them under Existing user instead.",
			newUser.Email, existing.ID)
	}
	checkPersonName(newUser.FirstName, blocks.BlockNewUserFirstName, "first name", errs)
	checkPersonName(newUser.LastName, blocks.BlockNewUserLastName, "last name", errs)
	spec.NewUser = &newUser
}

func checkPersonName(name, blockID, what string, errs formErrors) {
	switch n := blocks.CharacterCount(name); {
	case n == 0:
		errs[blockID] = "Enter the new user's " + what + "."
	case n > maxPersonRunes:
		errs[blockID] = fmt.Sprintf("The %s is %d characters long: use at most %d.", what, n, maxPersonRunes)
	case strings.ContainsFunc(name, hiddenRune):
		errs[blockID] = "The " + what + " cannot contain line breaks, control characters or invisible formatting characters."
	}
}

// hiddenRune reports whether r would make a name look other than it is:
// control characters, line and paragraph separators, and invisible format
// characters such as right-to-left overrides, zero-width spaces and byte
// order marks. The joiners and tag characters that emoji sequences use are
// allowed.
func hiddenRune(r rune) bool {
	switch {
	case unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp):
		return true
	case r == '\u200c' || r == '\u200d': // zero-width non-joiner and joiner
		return false
	case r >= 0xE0020 && r <= 0xE007F: // tag characters of flag emoji
		return false
	}
	return unicode.Is(unicode.Cf, r)
}

// validEmail reports whether s is one plain address (no display name)
// with a dotted domain.
func validEmail(s string) bool {
	if utf8.RuneCountInString(s) > maxEmailRunes || strings.ContainsAny(s, " <>\t\r\n") {
		return false
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	domain := s[at+1:]
	return at > 0 && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func oneOf(what, got string, allowed []string) string {
	if got == "" {
		return "Choose a " + what + "."
	}
	if len(allowed) > 0 && len(allowed) <= 5 {
		return fmt.Sprintf("%q is not a known %s: choose %s.", got, what, strings.Join(allowed, ", "))
	}
	return fmt.Sprintf("%q is not a known %s: choose one from the list.", got, what)
}

func joinInts(values []int) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ", ")
}

func templateLabel(t paperspace.Template) string {
	switch {
	case t.Label != "":
		return t.Label
	case t.OS != "":
		return t.OS
	}
	return t.ID
}

func userLabel(u paperspace.User) string {
	name := strings.TrimSpace(u.Firstname + " " + u.Lastname)
	switch {
	case name != "" && u.Email != "":
		return name + " (" + u.Email + ")"
	case u.Email != "":
		return u.Email
	case name != "":
		return name
	}
	return u.ID
}
