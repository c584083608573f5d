package blocks

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestFormModalModes(t *testing.T) {
	allInputs := []string{BlockMachineName, BlockRegion, BlockMachineType, BlockTemplate, BlockStorageSize,
		BlockAssignee, BlockNewUserEmail, BlockNewUserFirstName, BlockNewUserLastName, BlockPublicIP,
		BlockNetwork, BlockNotificationEmail}
	withoutNetwork := slices.DeleteFunc(slices.Clone(allInputs), func(id string) bool { return id == BlockNetwork })

	tests := []struct {
		name         string
		form         Form
		wantCallback string
		wantTitle    string
		wantSubmit   string
		wantInputs   []string
	}{
		{"create", Form{Mode: FormCreate, Networks: networks()}, CallbackCreate, "Create machine", "Create", allInputs},
		{"request", Form{Mode: FormRequest}, CallbackRequest, "Request machine", "Request", withoutNetwork},
		{"approve", Form{Mode: FormApprove, Networks: networks()}, CallbackApprove, "Approve request", "Approve & create", allInputs},
		{"networks without ids", Form{Mode: FormCreate, Networks: []paperspace.Network{{Name: "no id"}}},
			CallbackCreate, "Create machine", "Create", withoutNetwork},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := FormModal(tt.form)
			if view.CallbackID != tt.wantCallback {
				t.Errorf("callback_id = %q, want %q", view.CallbackID, tt.wantCallback)
			}
			if view.Title.Text != tt.wantTitle {
				t.Errorf("title = %q, want %q", view.Title.Text, tt.wantTitle)
			}
			if view.Submit.Text != tt.wantSubmit {
				t.Errorf("submit = %q, want %q", view.Submit.Text, tt.wantSubmit)
			}
			if got := InputBlockIDs(view); !slices.Equal(got, tt.wantInputs) {
				t.Errorf("input block ids = %v, want %v", got, tt.wantInputs)
			}
			for _, b := range view.Blocks.BlockSet {
				in, ok := b.(*slack.InputBlock)
				if !ok {
					continue
				}
				if got := actionID(in.Element); got != in.BlockID {
					t.Errorf("input %q has action_id %q, want the block id", in.BlockID, got)
				}
			}
			if err := Check(view); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func actionID(e slack.BlockElement) string {
	switch e := e.(type) {
	case *slack.PlainTextInputBlockElement:
		return e.ActionID
	case *slack.SelectBlockElement:
		return e.ActionID
	case *slack.CheckboxGroupsBlockElement:
		return e.ActionID
	}
	return ""
}

// inputByID returns the input block of view with block id id.
func inputByID(t *testing.T, view slack.ModalViewRequest, id string) *slack.InputBlock {
	t.Helper()
	for _, b := range view.Blocks.BlockSet {
		if in, ok := b.(*slack.InputBlock); ok && in.BlockID == id {
			return in
		}
	}
	t.Fatalf("no input block %q", id)
	return nil
}

func TestFormModalInitialValues(t *testing.T) {
	view := FormModal(Form{Mode: FormCreate, Spec: fullSpec(), Networks: networks()})

	selects := []struct {
		id   string
		want string
	}{
		{BlockRegion, "East Coast (NY2)"},
		{BlockMachineType, "P4000"},
		{BlockTemplate, "tkni3aa4"},
		{BlockStorageSize, "250"},
		{BlockAssignee, "u7h3k2j9"},
		{BlockNetwork, "n1a2b3c"},
	}
	for _, s := range selects {
		t.Run(s.id, func(t *testing.T) {
			element := inputByID(t, view, s.id).Element.(*slack.SelectBlockElement)
			if element.InitialOption == nil {
				t.Fatalf("initial option = nil, want value %q", s.want)
			}
			if element.InitialOption.Value != s.want {
				t.Errorf("initial option value = %q, want %q", element.InitialOption.Value, s.want)
			}
		})
	}

	t.Run(BlockPublicIP, func(t *testing.T) {
		element := inputByID(t, view, BlockPublicIP).Element.(*slack.CheckboxGroupsBlockElement)
		if len(element.InitialOptions) != 1 || element.InitialOptions[0].Value != OptionPublicIP {
			t.Errorf("initial options = %+v, want the %q option", element.InitialOptions, OptionPublicIP)
		}
	})
	t.Run(BlockNotificationEmail, func(t *testing.T) {
		element := inputByID(t, view, BlockNotificationEmail).Element.(*slack.PlainTextInputBlockElement)
		if element.InitialValue != "ops@example.com" {
			t.Errorf("initial value = %q, want %q", element.InitialValue, "ops@example.com")
		}
	})
}

func TestFormModalUnknownInitialValues(t *testing.T) {
	spec := paperspacebot.Spec{Region: "Mars (MRS1)", MachineType: "Z9000", SizeGB: 75, NetworkID: "n-missing",
		TemplateID: strings.Repeat("t", 80)}
	view := FormModal(Form{Mode: FormCreate, Spec: spec, Networks: networks()})
	for _, id := range []string{BlockRegion, BlockMachineType, BlockStorageSize, BlockNetwork, BlockTemplate} {
		t.Run(id, func(t *testing.T) {
			element := inputByID(t, view, id).Element.(*slack.SelectBlockElement)
			if element.InitialOption != nil {
				t.Errorf("initial option = %+v, want none for a value that is not offered", element.InitialOption)
			}
		})
	}
	if err := Check(view); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestFormModalLongNames(t *testing.T) {
	names := map[string]string{
		"emoji":     emojiName,
		"cjk":       cjkName,
		"long cjk":  cjkName + cjkName,
		"combining": combiningName,
	}
	for label, name := range names {
		t.Run(label, func(t *testing.T) {
			spec := fullSpec()
			spec.Name = name
			spec.TemplateLabel = name + name
			view := FormModal(Form{Mode: FormCreate, Spec: spec})

			value := inputByID(t, view, BlockMachineName).Element.(*slack.PlainTextInputBlockElement).InitialValue
			if n := utf8.RuneCountInString(value); n > MaxMachineName {
				t.Errorf("initial name has %d runes, want at most %d", n, MaxMachineName)
			}
			checkCut(t, name, value, MaxMachineName, false)

			template := inputByID(t, view, BlockTemplate).Element.(*slack.SelectBlockElement).InitialOption.Text.Text
			checkCut(t, name+name, template, MaxOptionText, true)
			if err := Check(view); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestFormModalNotice(t *testing.T) {
	tests := []struct {
		name   string
		notice string
		want   int // blocks before the machine name input
	}{
		{"none", "", 0},
		{"blank", "  ", 0},
		{"set", ":warning: Try again.", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view := FormModal(Form{Mode: FormCreate, Notice: tt.notice})
			got := slices.IndexFunc(view.Blocks.BlockSet, func(b slack.Block) bool { return b.ID() == BlockMachineName })
			if got != tt.want {
				t.Errorf("machine name input at block %d, want %d", got, tt.want)
			}
		})
	}
}

func TestFormModalApproveIntro(t *testing.T) {
	view := FormModal(Form{Mode: FormApprove, RequesterID: "U012REQUEST", RequestedAt: t0})
	intro := view.Blocks.BlockSet[0].(*slack.SectionBlock).Text.Text
	want := "Request from <@U012REQUEST>, <!date^1796396645^{date_short_pretty} at {time}|2026-12-04T15:04:05Z>"
	if intro != want {
		t.Errorf("intro = %q, want %q", intro, want)
	}
}

func TestDenyModal(t *testing.T) {
	view := DenyModal(request(paperspacebot.StatePending), "meta")
	if got := InputBlockIDs(view); !slices.Equal(got, []string{BlockDenyReason}) {
		t.Errorf("input block ids = %v, want [%s]", got, BlockDenyReason)
	}
	reason := inputByID(t, view, BlockDenyReason)
	if reason.Optional {
		t.Error("reason is optional, want required")
	}
	element := reason.Element.(*slack.PlainTextInputBlockElement)
	if !element.Multiline || element.MaxLength != 500 || element.ActionID != BlockDenyReason {
		t.Errorf("reason element = %+v, want multiline, max_length 500, action_id %q", element, BlockDenyReason)
	}
	if view.PrivateMetadata != "meta" {
		t.Errorf("private_metadata = %q, want %q", view.PrivateMetadata, "meta")
	}
}
