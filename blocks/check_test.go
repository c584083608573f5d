package blocks

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

// validView returns a small view that keeps every limit. Each case of
// TestCheckRejects breaks one.
func validView() slack.ModalViewRequest {
	name := slack.NewPlainTextInputBlockElement(nil, "name")
	name.MaxLength = 10
	return slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  plain("Title"),
		Submit: plain("Go"),
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			section("Hello"),
			slack.NewInputBlock("name", plain("Name"), nil, name),
		}},
	}
}

func validMessage() Message {
	return Message{Text: "Hello", Blocks: []slack.Block{section("Hello")}}
}

func manyOptions(n int) []*slack.OptionBlockObject {
	options := make([]*slack.OptionBlockObject, 0, n)
	for i := range n {
		options = append(options, option(strings.Repeat("v", 1+i%50)+string(rune('a'+i/50)), "text", ""))
	}
	return options
}

func withBlocks(blocks ...slack.Block) Message {
	return Message{Text: "Hello", Blocks: blocks}
}

func staticSelectView(element *slack.SelectBlockElement) slack.ModalViewRequest {
	v := validView()
	v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewInputBlock("pick", plain("Pick"), nil, element))
	return v
}

func TestCheckAccepts(t *testing.T) {
	tests := []struct {
		name string
		v    any
	}{
		{"view", validView()},
		{"view pointer", func() any { v := validView(); return &v }()},
		{"message", validMessage()},
		{"message pointer", func() any { m := validMessage(); return &m }()},
		{"messages", []Message{validMessage(), validMessage()}},
		{"option", option("v", "text", "description")},
		{"options payload", OptionsResponse(manyOptions(3), 3)},
		{"empty options payload", OptionsResponse(nil, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Check(tt.v); err != nil {
				t.Errorf("Check = %v, want nil", err)
			}
		})
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name string
		v    func() any
		want string // a substring of the error
	}{
		{"title 25 runes", func() any {
			v := validView()
			v.Title = plain(strings.Repeat("機", 25))
			return v
		}, "view.title: 25 characters, max 24"},
		{"submit 25 runes", func() any {
			v := validView()
			v.Submit = plain(strings.Repeat("s", 25))
			return v
		}, "view.submit: 25 characters, max 24"},
		{"no title", func() any {
			v := validView()
			v.Title = nil
			return v
		}, "view.title: missing"},
		{"no submit with input", func() any {
			v := validView()
			v.Submit = nil
			return v
		}, "view.submit: missing"},
		{"view without blocks", func() any {
			v := validView()
			v.Blocks.BlockSet = nil
			return v
		}, "view.blocks: no blocks"},
		{"101 view blocks", func() any {
			v := validView()
			for range 99 {
				v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewDividerBlock())
			}
			return v
		}, "101 blocks, max 100"},
		{"private metadata 3001", func() any {
			v := validView()
			v.PrivateMetadata = strings.Repeat("m", 3001)
			return v
		}, "private_metadata: 3001 characters, max 3000"},
		{"external id 256", func() any {
			v := validView()
			v.ExternalID = strings.Repeat("e", 256)
			return v
		}, "external_id: 256 characters, max 255"},
		{"duplicate block id", func() any {
			a := section("a")
			a.BlockID = "same"
			b := section("b")
			b.BlockID = "same"
			return withBlocks(a, b)
		}, `duplicate block id "same"`},
		{"block id 256", func() any {
			s := section("a")
			s.BlockID = strings.Repeat("b", 256)
			return withBlocks(s)
		}, "block_id: 256 characters, max 255"},
		{"header 151 runes", func() any {
			return withBlocks(slack.NewHeaderBlock(plain(strings.Repeat("機", 151))))
		}, "151 characters, max 150"},
		{"mrkdwn header", func() any {
			return withBlocks(slack.NewHeaderBlock(markdown("x")))
		}, "want plain_text"},
		{"section 3001", func() any {
			return withBlocks(slack.NewSectionBlock(markdown(strings.Repeat("s", 3001)), nil, nil))
		}, "3001 characters, max 3000"},
		{"empty section text", func() any {
			return withBlocks(slack.NewSectionBlock(markdown("  "), nil, nil))
		}, "empty text"},
		{"section without content", func() any {
			return withBlocks(slack.NewSectionBlock(nil, nil, nil))
		}, "neither text nor fields"},
		{"11 fields", func() any {
			fields := make([]*slack.TextBlockObject, 11)
			for i := range fields {
				fields[i] = field("F", "v")
			}
			return withBlocks(slack.NewSectionBlock(nil, fields, nil))
		}, "11 fields, max 10"},
		{"field 2001", func() any {
			return withBlocks(slack.NewSectionBlock(nil, []*slack.TextBlockObject{markdown(strings.Repeat("f", 2001))}, nil))
		}, "2001 characters, max 2000"},
		{"field empty value", func() any {
			return withBlocks(slack.NewSectionBlock(nil, []*slack.TextBlockObject{markdown("*Name*\n")}, nil))
		}, "has an empty value"},
		{"nil rendered", func() any {
			return withBlocks(section("Machine <nil>"))
		}, "shows a nil value"},
		{"fmt error rendered", func() any {
			return withBlocks(section("Machine %!s(MISSING)"))
		}, "formatting error"},
		{"invalid utf-8", func() any {
			return withBlocks(slack.NewSectionBlock(markdown("a\xffb"), nil, nil))
		}, "invalid UTF-8"},
		{"no fallback text", func() any {
			m := validMessage()
			m.Text = ""
			return m
		}, "no fallback text"},
		{"message without blocks", func() any {
			return Message{Text: "Hello"}
		}, "message.blocks: no blocks"},
		{"51 message blocks", func() any {
			m := validMessage()
			for range 50 {
				m.Blocks = append(m.Blocks, slack.NewDividerBlock())
			}
			return m
		}, "51 blocks, max 50"},
		{"input in message", func() any {
			return withBlocks(validView().Blocks.BlockSet...)
		}, "input block in a message"},
		{"11 context elements", func() any {
			lines := make([]string, 11)
			for i := range lines {
				lines[i] = "line"
			}
			return withBlocks(contextBlock(lines...))
		}, "11 elements, max 10"},
		{"button text 25", func() any {
			b := slack.NewButtonBlockElement("go", "v", plain(strings.Repeat("b", 25)))
			return withBlocks(slack.NewActionBlock("", b))
		}, "25 characters, max 24"},
		{"button value 2001", func() any {
			b := slack.NewButtonBlockElement("go", strings.Repeat("v", 2001), plain("Go"))
			return withBlocks(slack.NewActionBlock("", b))
		}, "value: 2001 characters, max 2000"},
		{"duplicate action id", func() any {
			a := slack.NewButtonBlockElement("go", "1", plain("A"))
			b := slack.NewButtonBlockElement("go", "2", plain("B"))
			return withBlocks(slack.NewActionBlock("", a, b))
		}, `duplicate action id "go"`},
		{"empty actions", func() any {
			return withBlocks(slack.NewActionBlock(""))
		}, "no elements"},
		{"max_length 3001", func() any {
			v := validView()
			v.Blocks.BlockSet[1].(*slack.InputBlock).Element.(*slack.PlainTextInputBlockElement).MaxLength = 3001
			return v
		}, "max_length: 3001, want 1 to 3000"},
		{"initial value too long", func() any {
			v := validView()
			v.Blocks.BlockSet[1].(*slack.InputBlock).Element.(*slack.PlainTextInputBlockElement).InitialValue = "12345678901"
			return v
		}, "initial_value: 11 characters, max 10"},
		{"option text 76", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
				slack.NewOptionBlockObject("v", plain(strings.Repeat("機", 76)), nil)))
		}, "76 characters, max 75"},
		{"option value 76", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
				slack.NewOptionBlockObject(strings.Repeat("v", 76), plain("text"), nil)))
		}, "value: 76 characters, max 75"},
		{"option description 76", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
				slack.NewOptionBlockObject("v", plain("text"), plain(strings.Repeat("d", 76)))))
		}, "description: 76 characters, max 75"},
		{"mrkdwn option", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
				slack.NewOptionBlockObject("v", markdown("*text*"), nil)))
		}, "want plain_text"},
		{"101 options", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick", manyOptions(101)...))
		}, "101 options, max 100"},
		{"duplicate option value", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick",
				option("v", "a", ""), option("v", "b", "")))
		}, `duplicate value "v"`},
		{"foreign initial option", func() any {
			e := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, "pick", option("a", "A", ""))
			e.InitialOption = option("b", "B", "")
			return staticSelectView(e)
		}, `value "b" is not one of the options`},
		{"placeholder 151", func() any {
			return staticSelectView(slack.NewOptionsSelectBlockElement(slack.OptTypeExternal,
				plain(strings.Repeat("p", 151)), "pick"))
		}, "placeholder: 151 characters, max 150"},
		{"11 checkboxes", func() any {
			v := validView()
			e := slack.NewCheckboxGroupsBlockElement("boxes", manyOptions(11)...)
			v.Blocks.BlockSet = append(v.Blocks.BlockSet, slack.NewInputBlock("boxes", plain("Boxes"), nil, e))
			return v
		}, "11 options, max 10"},
		{"101 options in response", func() any {
			return optionsPayload{Options: manyOptions(101)}
		}, "101 options, max 100"},
		{"null options in response", func() any {
			return optionsPayload{}
		}, "null, want an array"},
		{"nil option", func() any {
			return optionsPayload{Options: []*slack.OptionBlockObject{nil}}
		}, "nil option"},
		{"empty message list", func() any { return []Message{} }, "empty message list"},
		{"nil view pointer", func() any { return (*slack.ModalViewRequest)(nil) }, "nil view"},
		{"unsupported type", func() any { return 42 }, "unsupported type int"},
		{"unsupported block", func() any {
			return withBlocks(slack.NewImageBlock("https://example.com/a.png", "a", "", nil))
		}, "unsupported block type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.v())
			if err == nil {
				t.Fatalf("Check = nil, want an error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}
