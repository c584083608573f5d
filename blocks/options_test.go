package blocks

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestTemplateOption(t *testing.T) {
	tests := []struct {
		name      string
		template  paperspace.Template
		wantText  string
		wantDesc  string // "" means no description
		wantValue string
	}{
		{"label and os", paperspace.Template{ID: "t1", Label: "ML-in-a-Box", OS: "Ubuntu 20.04"},
			"ML-in-a-Box · Ubuntu 20.04", "t1", "t1"},
		{"null label", paperspace.Template{ID: "t1", OS: "Windows 10"}, "Windows 10", "t1", "t1"},
		{"only id", paperspace.Template{ID: "t1"}, "t1", "", "t1"},
		{"label only", paperspace.Template{ID: "t1", Label: "Base"}, "Base", "t1", "t1"},
		{"team region", paperspace.Template{ID: "t1", Label: "Ours", TeamID: "te1", Region: "Europe (AMS1)"},
			"Ours", "t1 · Europe (AMS1)", "t1"},
		{"id 40", paperspace.Template{ID: strings.Repeat("a", 40), Label: "Forty"}, "Forty", strings.Repeat("a", 40),
			strings.Repeat("a", 40)},
		{"label 120 keeps os", paperspace.Template{ID: "t1", Label: strings.Repeat("x", 120), OS: "Ubuntu 20.04"},
			strings.Repeat("x", 59) + "… · Ubuntu 20.04", "t1", "t1"},
		{"label 120 long os", paperspace.Template{ID: "t1", Label: strings.Repeat("x", 120), OS: strings.Repeat("o", 40)},
			strings.Repeat("x", 74) + "…", "t1", "t1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TemplateOption(tt.template)
			if got == nil {
				t.Fatal("TemplateOption = nil, want an option")
			}
			if got.Text.Text != tt.wantText {
				t.Errorf("text = %q, want %q", got.Text.Text, tt.wantText)
			}
			gotDesc := ""
			if got.Description != nil {
				gotDesc = got.Description.Text
			}
			if gotDesc != tt.wantDesc {
				t.Errorf("description = %q, want %q", gotDesc, tt.wantDesc)
			}
			if got.Value != tt.wantValue {
				t.Errorf("value = %q, want %q", got.Value, tt.wantValue)
			}
			if err := Check(got); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestTemplateOptionUnusableID(t *testing.T) {
	tests := []struct {
		name string
		id   string
	}{
		{"empty", ""},
		{"76 runes", strings.Repeat("i", 76)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TemplateOption(paperspace.Template{ID: tt.id, Label: "x"}); got != nil {
				t.Errorf("TemplateOption = %+v, want nil", got)
			}
			if got := UserOption(paperspace.User{ID: tt.id, Email: "a@example.com"}); got != nil {
				t.Errorf("UserOption = %+v, want nil", got)
			}
		})
	}
}

func TestUserOption(t *testing.T) {
	tests := []struct {
		name string
		user paperspace.User
		want string
	}{
		{"name and email", paperspace.User{ID: "u1", Firstname: "Ada", Lastname: "Lovelace", Email: "ada@example.com"},
			"Ada Lovelace <ada@example.com>"},
		{"first name only", paperspace.User{ID: "u1", Firstname: "Ada", Email: "ada@example.com"}, "Ada <ada@example.com>"},
		{"email only", paperspace.User{ID: "u1", Email: "ada@example.com"}, "ada@example.com"},
		{"name only", paperspace.User{ID: "u1", Firstname: "Ada", Lastname: "Lovelace"}, "Ada Lovelace"},
		{"id only", paperspace.User{ID: "u1"}, "u1"},
		{"long cut", paperspace.User{ID: "u1", Email: strings.Repeat("a", 80) + "@example.com"}, strings.Repeat("a", 74) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := UserOption(tt.user)
			if got == nil {
				t.Fatal("UserOption = nil, want an option")
			}
			if got.Text.Text != tt.want {
				t.Errorf("text = %q, want %q", got.Text.Text, tt.want)
			}
			if got.Value != tt.user.ID {
				t.Errorf("value = %q, want %q", got.Value, tt.user.ID)
			}
		})
	}
}

// TestOptionTextLongNames runs 60-character emoji and CJK labels and names
// through the option builders and checks that the text is cut, valid and
// within MaxOptionText.
func TestOptionTextLongNames(t *testing.T) {
	names := map[string]string{"emoji": emojiName + emojiName, "cjk": cjkName + cjkName}
	for label, name := range names {
		t.Run(label, func(t *testing.T) {
			options := map[string]*slack.OptionBlockObject{
				"template": TemplateOption(paperspace.Template{ID: "t1", Label: name, OS: "Ubuntu"}),
				"user":     UserOption(paperspace.User{ID: "u1", Firstname: name, Email: "a@example.com"}),
			}
			for kind, o := range options {
				text := o.Text.Text
				if !utf8.ValidString(text) {
					t.Errorf("%s text %q is not valid UTF-8", kind, text)
				}
				if n := utf8.RuneCountInString(text); n > MaxOptionText {
					t.Errorf("%s text has %d runes, want at most %d", kind, n, MaxOptionText)
				}
				if !strings.Contains(text, ellipsis) {
					t.Errorf("%s text %q, want it cut with %q", kind, text, ellipsis)
				}
				cut := text[:strings.Index(text, ellipsis)]
				if !strings.HasPrefix(name, cut) || !atBoundary(name, len(cut)) {
					t.Errorf("%s text %q, want a cut of %q between characters", kind, text, name)
				}
			}
		})
	}
}

func TestOptionsResponseJSON(t *testing.T) {
	tests := []struct {
		name  string
		opts  []*slack.OptionBlockObject
		total int
		want  string
	}{
		{"nil", nil, 0, `{"options":[]}`},
		{"only nils", []*slack.OptionBlockObject{nil, nil}, 5, `{"options":[]}`},
		{"one", []*slack.OptionBlockObject{option("t1", "Base", "")}, 1,
			`{"options":[{"text":{"type":"plain_text","text":"Base"},"value":"t1"}]}`},
		{"one of three", []*slack.OptionBlockObject{option("t1", "Base", "")}, 3,
			`{"options":[{"text":{"type":"plain_text","text":"Base"},"value":"t1","description":{"type":"plain_text","text":"Showing 1 of 3 matches: type more to narrow the list."}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(OptionsResponse(tt.opts, tt.total))
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestOptionsResponse250(t *testing.T) {
	var opts []*slack.OptionBlockObject
	for _, tmpl := range templates(250) {
		opts = append(opts, TemplateOption(tmpl))
	}
	before := *opts[99]

	payload := OptionsResponse(opts, 250).(optionsPayload)

	if got := len(payload.Options); got != MaxOptions {
		t.Fatalf("options = %d, want %d", got, MaxOptions)
	}
	if got, want := payload.Options[0].Value, "t000000"; got != want {
		t.Errorf("first value = %q, want %q", got, want)
	}
	last := payload.Options[MaxOptions-1]
	if last.Description == nil {
		t.Fatal("last option has no description, want the hint")
	}
	if got, want := last.Description.Text, "Showing 100 of 250 matches: type more to narrow the list."; got != want {
		t.Errorf("hint = %q, want %q", got, want)
	}
	if opts[99].Description != before.Description {
		t.Errorf("caller's option description changed to %+v, want it untouched", opts[99].Description)
	}
	if err := Check(payload); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestOptionsResponseTotalBelowShown(t *testing.T) {
	opts := []*slack.OptionBlockObject{option("a", "A", ""), option("b", "B", "")}
	payload := OptionsResponse(opts, 1).(optionsPayload)
	if d := payload.Options[1].Description; d != nil {
		t.Errorf("last description = %q, want none when every match is shown", d.Text)
	}
}
