package blocks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// FormMode selects which of the three machine forms FormModal builds.
type FormMode int

const (
	// FormCreate is an admin's form: submitting it creates the machine.
	FormCreate FormMode = iota
	// FormRequest is a member's form: submitting it sends a request to the
	// admins.
	FormRequest
	// FormApprove is the admin's editable copy of a member's request:
	// submitting it approves the request and creates the machine.
	FormApprove
)

// Maximum lengths of the form's text inputs, in runes.
const (
	// MaxMachineName is the longest machine name the form accepts.
	MaxMachineName = 64
	// maxEmail is the longest email address that RFC 5321 allows in a path.
	maxEmail = 254
	// maxPersonName bounds a new user's first or last name.
	maxPersonName = 100
)

// Form is everything that FormModal needs to build a machine form.
type Form struct {
	Mode FormMode
	// Spec holds the initial values. A zero field leaves its input empty.
	Spec paperspacebot.Spec
	// PrivateMetadata is carried through to the submission unchanged. It is
	// never cut, so the caller keeps it within MaxPrivateMetadata, and Check
	// reports it when it is longer.
	PrivateMetadata string
	// Networks are the options of the network select, of which the first
	// MaxOptions are shown. With none, the network input is left out.
	Networks []paperspace.Network
	// Notice is optional mrkdwn shown above everything else, such as a
	// warning about the last submission. The caller escapes any user text.
	Notice string
	// RequesterID is the Slack user who asked (FormApprove only).
	RequesterID string
	// RequestedAt is when the member asked (FormApprove only).
	RequestedAt time.Time
	// ExternalID is the optional external_id of the view.
	ExternalID string
}

// FormModal builds the create, request or approval modal for f.Mode. The
// inputs appear in a fixed order, each with its block id (BlockMachineName
// and the rest) as both block_id and action_id, so a view update keeps what
// the user entered.
func FormModal(f Form) slack.ModalViewRequest {
	view := slack.ModalViewRequest{
		Type:            slack.VTModal,
		Close:           plain("Cancel"),
		PrivateMetadata: f.PrivateMetadata,
		ExternalID:      f.ExternalID,
	}
	var blocks []slack.Block
	if strings.TrimSpace(f.Notice) != "" {
		blocks = append(blocks, section(f.Notice))
	}

	switch f.Mode {
	case FormRequest:
		view.CallbackID = CallbackRequest
		view.Title = plain("Request machine")
		view.Submit = plain("Request")
		blocks = append(blocks, section("An admin reviews this request before the machine is created. "+
			"Machines are billed by the hour while they exist."))
	case FormApprove:
		view.CallbackID = CallbackApprove
		view.Title = plain("Approve request")
		view.Submit = plain("Approve & create")
		blocks = append(blocks, section("Request from "+mention(f.RequesterID)+", "+date(f.RequestedAt)))
	default:
		view.CallbackID = CallbackCreate
		view.Title = plain("Create machine")
		view.Submit = plain("Create")
	}

	blocks = append(blocks, formInputs(f)...)
	view.Blocks = slack.Blocks{BlockSet: blocks}
	return view
}

// formInputs returns the form's blocks after its introduction.
func formInputs(f Form) []slack.Block {
	spec := f.Spec
	name := textInput(BlockMachineName, "Machine name", spec.Name, MaxMachineName, false)
	name.Hint = plain(fmt.Sprintf("1 to %d characters.", MaxMachineName))
	blocks := []slack.Block{
		name,
		staticSelect(BlockRegion, "Region", "Choose a region", stringOptions(paperspace.Regions), spec.Region),
		machineTypeInput(spec.MachineType),
		templateInput(spec),
		staticSelect(BlockStorageSize, "Storage size", "Choose a size", storageOptions(), sizeValue(spec.SizeGB)),
		assigneeInput(spec),
		section("Or create a new user on the team:"),
		contextBlock("The bot generates the new user's password and sends it only to the admin " +
			"who creates the machine, by direct message."),
	}

	var newUser paperspacebot.NewUser
	if spec.NewUser != nil {
		newUser = *spec.NewUser
	}
	blocks = append(blocks,
		textInput(BlockNewUserEmail, "New user's email", newUser.Email, maxEmail, true),
		textInput(BlockNewUserFirstName, "New user's first name", newUser.FirstName, maxPersonName, true),
		textInput(BlockNewUserLastName, "New user's last name", newUser.LastName, maxPersonName, true),
		publicIPInput(spec.PublicIP),
	)
	if network := networkInput(f.Networks, spec.NetworkID); network != nil {
		blocks = append(blocks, network)
	}
	blocks = append(blocks,
		textInput(BlockNotificationEmail, "Notification email", spec.NotificationEmail, maxEmail, true))
	return blocks
}

// textInput returns a plain_text_input whose initial value is cut to
// maxLength, because Slack rejects a view whose initial value is longer.
func textInput(id, label, initial string, maxLength int, optional bool) *slack.InputBlock {
	element := slack.NewPlainTextInputBlockElement(nil, id)
	element.MaxLength = maxLength
	element.InitialValue = cutRunes(initial, maxLength)
	block := slack.NewInputBlock(id, plain(label), nil, element)
	block.Optional = optional
	return block
}

// staticSelect returns a required static_select input whose initial
// option is the one with value selected, if any.
func staticSelect(id, label, placeholder string, options []*slack.OptionBlockObject, selected string) *slack.InputBlock {
	element := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(placeholder), id, options...)
	element.InitialOption = findOption(options, selected)
	return slack.NewInputBlock(id, plain(label), nil, element)
}

// findOption returns the option whose value is value. Slack accepts an
// initial option only when it equals one of the options.
func findOption(options []*slack.OptionBlockObject, value string) *slack.OptionBlockObject {
	if value == "" {
		return nil
	}
	for _, o := range options {
		if o.Value == value {
			return o
		}
	}
	return nil
}

func stringOptions(values []string) []*slack.OptionBlockObject {
	options := make([]*slack.OptionBlockObject, 0, len(values))
	for _, v := range values {
		options = append(options, option(v, v, ""))
	}
	return options
}

// option returns an option with its text and description cut to
// MaxOptionText. An empty description is left out.
func option(value, text, description string) *slack.OptionBlockObject {
	o := slack.NewOptionBlockObject(value, plain(Truncate(text, MaxOptionText)), nil)
	if description != "" {
		o.Description = plain(Truncate(description, MaxOptionText))
	}
	return o
}

func storageOptions() []*slack.OptionBlockObject {
	options := make([]*slack.OptionBlockObject, 0, len(paperspace.StorageSizesGB))
	for _, gb := range paperspace.StorageSizesGB {
		options = append(options, option(strconv.Itoa(gb), strconv.Itoa(gb)+" GB", ""))
	}
	return options
}

// sizeValue returns the option value of a storage size, or "" for none.
func sizeValue(gb int) string {
	if gb <= 0 {
		return ""
	}
	return strconv.Itoa(gb)
}

func machineTypeInput(selected string) *slack.InputBlock {
	block := staticSelect(BlockMachineType, "Machine type", "Choose a machine type",
		stringOptions(paperspace.MachineTypes), selected)
	block.Hint = plain(joinAnd(paperspace.AvailabilityMachineTypes) +
		" are checked for availability in the chosen region.")
	return block
}

// joinAnd joins items as English prose: "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// externalSelect returns an external_select input. min_query_length 0
// makes Slack load options as soon as the menu opens, where its default
// of 3 would wait for three typed characters.
func externalSelect(id, label, placeholder string, initial *slack.OptionBlockObject) *slack.InputBlock {
	element := slack.NewOptionsSelectBlockElement(slack.OptTypeExternal, plain(placeholder), id)
	minQueryLength := 0
	element.MinQueryLength = &minQueryLength
	element.InitialOption = initial
	return slack.NewInputBlock(id, plain(label), nil, element)
}

func templateInput(spec paperspacebot.Spec) *slack.InputBlock {
	var initial *slack.OptionBlockObject
	if spec.TemplateID != "" && fitsValue(spec.TemplateID) {
		initial = option(spec.TemplateID, firstNonEmpty(spec.TemplateLabel, spec.TemplateID), "")
	}
	return externalSelect(BlockTemplate, "Template", "Search by name, OS or id", initial)
}

func assigneeInput(spec paperspacebot.Spec) *slack.InputBlock {
	var initial *slack.OptionBlockObject
	if spec.AssigneeID != "" && fitsValue(spec.AssigneeID) {
		initial = option(spec.AssigneeID, firstNonEmpty(spec.AssigneeLabel, spec.AssigneeID), "")
	}
	block := externalSelect(BlockAssignee, "Existing user", "Search team users by name or email", initial)
	block.Optional = true
	return block
}

// fitsValue reports whether id can be an option value.
func fitsValue(id string) bool {
	return utf8.RuneCountInString(id) <= MaxOptionValue
}

func publicIPInput(checked bool) *slack.InputBlock {
	ip := option(OptionPublicIP, "Assign a public IP address", "")
	element := slack.NewCheckboxGroupsBlockElement(BlockPublicIP, ip)
	if checked {
		element.InitialOptions = []*slack.OptionBlockObject{ip}
	}
	block := slack.NewInputBlock(BlockPublicIP, plain("Public IP"), nil, element)
	block.Optional = true
	return block
}

// networkInput returns the optional network select, or nil when there are
// no networks to offer. A network whose id is empty or too long to be an
// option value is left out.
func networkInput(networks []paperspace.Network, selected string) *slack.InputBlock {
	var options []*slack.OptionBlockObject
	for _, n := range networks {
		if len(options) == MaxOptions {
			// TODO: offer networks past the first MaxOptions through an
			// external select if a team ever has that many.
			break
		}
		if n.ID == "" || !fitsValue(n.ID) {
			continue
		}
		options = append(options, option(n.ID, networkText(n), ""))
	}
	if len(options) == 0 {
		return nil
	}
	element := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("No private network"), BlockNetwork, options...)
	element.InitialOption = findOption(options, selected)
	block := slack.NewInputBlock(BlockNetwork, plain("Private network"), nil, element)
	block.Optional = true
	return block
}

// networkText returns "name · network/netmask · region", leaving out the
// parts that are empty.
func networkText(n paperspace.Network) string {
	parts := []string{firstNonEmpty(n.Name, n.ID)}
	if n.Network != "" {
		address := n.Network
		if n.Netmask != "" {
			address += "/" + n.Netmask
		}
		parts = append(parts, address)
	}
	if n.Region != "" {
		parts = append(parts, n.Region)
	}
	return strings.Join(parts, " · ")
}

// InputBlockIDs returns the block ids of the input blocks of view, in
// order. Submission errors may be keyed only by these ids.
func InputBlockIDs(view slack.ModalViewRequest) []string {
	var ids []string
	for _, b := range view.Blocks.BlockSet {
		switch in := b.(type) {
		case *slack.InputBlock:
			ids = append(ids, in.BlockID)
		case slack.InputBlock:
			ids = append(ids, in.BlockID)
		}
	}
	return ids
}
