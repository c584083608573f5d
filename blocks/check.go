package blocks

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// Check reports every Block Kit limit that v breaks, joined in one error,
// or nil when v keeps them all. v is a view (slack.ModalViewRequest), a
// Message, a []Message, an option, or the payload OptionsResponse returns.
// Pointers to a view or a Message work too.
//
// Beyond Slack's limits (see the Max constants), Check rejects:
//   - text objects that are empty or contain "<nil>" or a fmt error such
//     as "%!s";
//   - duplicate block ids, and duplicate action ids within a block;
//   - a message without fallback text;
//   - a static select whose initial option is not one of its options;
//   - block and element types that the bot does not build.
func Check(v any) error {
	c := &checker{}
	switch v := v.(type) {
	case slack.ModalViewRequest:
		c.view(&v)
	case *slack.ModalViewRequest:
		if v == nil {
			return errors.New("check: nil view")
		}
		c.view(v)
	case Message:
		c.message("message", v)
	case *Message:
		if v == nil {
			return errors.New("check: nil message")
		}
		c.message("message", *v)
	case []Message:
		if len(v) == 0 {
			return errors.New("check: empty message list")
		}
		for i, m := range v {
			c.message(fmt.Sprintf("messages[%d]", i), m)
		}
	case optionsPayload:
		c.optionsPayload(v)
	case *slack.OptionBlockObject:
		c.options("option", []*slack.OptionBlockObject{v}, 1)
	default:
		return fmt.Errorf("check: unsupported type %T", v)
	}
	return errors.Join(c.problems...)
}

// checker collects the problems that Check finds.
type checker struct {
	problems []error
	blockIDs map[string]bool
}

func (c *checker) fail(path, format string, args ...any) {
	c.problems = append(c.problems, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
}

// length reports s when it is longer than max runes.
func (c *checker) length(path, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		c.fail(path, "%d characters, max %d", n, max)
	}
}

// text checks a text object that Slack requires: its type, that it is not
// empty, its length, and that it contains no rendering of a nil or a fmt
// error.
func (c *checker) text(path string, t *slack.TextBlockObject, max int, plainOnly bool) {
	if t == nil {
		c.fail(path, "missing")
		return
	}
	switch {
	case t.Type != slack.PlainTextType && t.Type != slack.MarkdownType:
		c.fail(path, "text type %q is neither plain_text nor mrkdwn", t.Type)
	case plainOnly && t.Type != slack.PlainTextType:
		c.fail(path, "text type %q, want plain_text", t.Type)
	}
	if !utf8.ValidString(t.Text) {
		c.fail(path, "invalid UTF-8")
	}
	if strings.TrimSpace(t.Text) == "" {
		c.fail(path, "empty text")
	}
	if strings.Contains(t.Text, "<nil>") || strings.Contains(t.Text, "%!") {
		c.fail(path, "text %q shows a nil value or a formatting error", Truncate(t.Text, 80))
	}
	c.length(path, t.Text, max)
}

// optionalText checks t when it is set.
func (c *checker) optionalText(path string, t *slack.TextBlockObject, max int, plainOnly bool) {
	if t != nil {
		c.text(path, t, max, plainOnly)
	}
}

func (c *checker) view(v *slack.ModalViewRequest) {
	if v.Type != slack.VTModal {
		c.fail("view.type", "%q, want %q", v.Type, slack.VTModal)
	}
	c.text("view.title", v.Title, MaxModalText, true)
	c.optionalText("view.close", v.Close, MaxModalText, true)
	c.optionalText("view.submit", v.Submit, MaxModalText, true)
	c.length("view.private_metadata", v.PrivateMetadata, MaxPrivateMetadata)
	c.length("view.callback_id", v.CallbackID, MaxID)
	c.length("view.external_id", v.ExternalID, MaxID)

	blocks := v.Blocks.BlockSet
	if len(blocks) == 0 {
		c.fail("view.blocks", "no blocks")
	}
	if len(blocks) > MaxViewBlocks {
		c.fail("view.blocks", "%d blocks, max %d", len(blocks), MaxViewBlocks)
	}
	if v.Submit == nil && len(InputBlockIDs(*v)) > 0 {
		c.fail("view.submit", "missing, but the view has input blocks")
	}
	c.blocks("view.blocks", blocks, true)
}

func (c *checker) message(path string, m Message) {
	if strings.TrimSpace(m.Text) == "" {
		c.fail(path+".text", "no fallback text")
	}
	c.length(path+".text", m.Text, MaxMessageText)
	if len(m.Blocks) == 0 {
		c.fail(path+".blocks", "no blocks")
	}
	if len(m.Blocks) > MaxMessageBlocks {
		c.fail(path+".blocks", "%d blocks, max %d", len(m.Blocks), MaxMessageBlocks)
	}
	c.blocks(path+".blocks", m.Blocks, false)
}

func (c *checker) optionsPayload(p optionsPayload) {
	if p.Options == nil {
		c.fail("options", "null, want an array")
	}
	c.options("options", p.Options, MaxOptions)
}

// blocks checks each block. Input blocks are allowed only in views.
func (c *checker) blocks(path string, blocks []slack.Block, inView bool) {
	c.blockIDs = map[string]bool{}
	for i, b := range blocks {
		p := fmt.Sprintf("%s[%d]", path, i)
		if b == nil {
			c.fail(p, "nil block")
			continue
		}
		c.blockID(p, b.ID())
		switch b := b.(type) {
		case *slack.HeaderBlock:
			c.text(p+".text", b.Text, MaxHeaderText, true)
		case *slack.SectionBlock:
			c.section(p, b)
		case *slack.ContextBlock:
			c.context(p, b)
		case *slack.ActionBlock:
			c.actions(p, b)
		case *slack.DividerBlock:
		case *slack.InputBlock:
			if !inView {
				c.fail(p, "input block in a message")
			}
			c.input(p, b)
		default:
			c.fail(p, "unsupported block type %T", b)
		}
	}
}

// blockID checks the length and uniqueness of a block id, because Slack
// rejects a view or message in which two blocks share one.
func (c *checker) blockID(path, id string) {
	if id == "" {
		return
	}
	c.length(path+".block_id", id, MaxID)
	if c.blockIDs[id] {
		c.fail(path+".block_id", "duplicate block id %q", id)
	}
	c.blockIDs[id] = true
}

func (c *checker) section(path string, b *slack.SectionBlock) {
	if b.Text == nil && len(b.Fields) == 0 {
		c.fail(path, "section has neither text nor fields")
	}
	c.optionalText(path+".text", b.Text, MaxSectionText, false)
	if len(b.Fields) > MaxFields {
		c.fail(path+".fields", "%d fields, max %d", len(b.Fields), MaxFields)
	}
	for i, f := range b.Fields {
		p := fmt.Sprintf("%s.fields[%d]", path, i)
		c.text(p, f, MaxFieldText, false)
		if f != nil && strings.HasSuffix(f.Text, "\n") {
			c.fail(p, "field %q has an empty value", f.Text)
		}
	}
	if b.Accessory != nil {
		c.fail(path+".accessory", "accessories are not checked, so the bot does not use them")
	}
}

func (c *checker) context(path string, b *slack.ContextBlock) {
	elements := b.ContextElements.Elements
	if len(elements) == 0 {
		c.fail(path+".elements", "no elements")
	}
	if len(elements) > MaxContextElements {
		c.fail(path+".elements", "%d elements, max %d", len(elements), MaxContextElements)
	}
	for i, e := range elements {
		p := fmt.Sprintf("%s.elements[%d]", path, i)
		t, ok := e.(*slack.TextBlockObject)
		if !ok {
			c.fail(p, "unsupported context element %T", e)
			continue
		}
		c.text(p, t, MaxSectionText, false)
	}
}

func (c *checker) actions(path string, b *slack.ActionBlock) {
	if b.Elements == nil || len(b.Elements.ElementSet) == 0 {
		c.fail(path+".elements", "no elements")
		return
	}
	if n := len(b.Elements.ElementSet); n > MaxActionElements {
		c.fail(path+".elements", "%d elements, max %d", n, MaxActionElements)
	}
	actionIDs := map[string]bool{}
	for i, e := range b.Elements.ElementSet {
		p := fmt.Sprintf("%s.elements[%d]", path, i)
		button, ok := e.(*slack.ButtonBlockElement)
		if !ok {
			c.fail(p, "unsupported action element %T", e)
			continue
		}
		c.actionID(p, button.ActionID, actionIDs)
		c.text(p+".text", button.Text, MaxButtonText, true)
		c.length(p+".value", button.Value, MaxButtonValue)
	}
}

// actionID checks the length of an action id and that no other element
// of the same block uses it.
func (c *checker) actionID(path, id string, seen map[string]bool) {
	if id == "" {
		c.fail(path+".action_id", "missing")
		return
	}
	c.length(path+".action_id", id, MaxID)
	if seen[id] {
		c.fail(path+".action_id", "duplicate action id %q in one block", id)
	}
	seen[id] = true
}

func (c *checker) input(path string, b *slack.InputBlock) {
	c.text(path+".label", b.Label, MaxLabelText, true)
	c.optionalText(path+".hint", b.Hint, MaxLabelText, true)
	element := path + ".element"
	seen := map[string]bool{}
	switch e := b.Element.(type) {
	case *slack.PlainTextInputBlockElement:
		c.actionID(element, e.ActionID, seen)
		c.optionalText(element+".placeholder", e.Placeholder, MaxPlaceholder, true)
		if e.MaxLength < 0 || e.MaxLength > MaxInputLength {
			c.fail(element+".max_length", "%d, want 1 to %d", e.MaxLength, MaxInputLength)
		}
		limit := MaxInputLength
		if e.MaxLength > 0 {
			limit = e.MaxLength
		}
		c.length(element+".initial_value", e.InitialValue, limit)
		if !utf8.ValidString(e.InitialValue) {
			c.fail(element+".initial_value", "invalid UTF-8")
		}
	case *slack.SelectBlockElement:
		c.actionID(element, e.ActionID, seen)
		c.selectElement(element, e)
	case *slack.CheckboxGroupsBlockElement:
		c.actionID(element, e.ActionID, seen)
		if len(e.Options) == 0 {
			c.fail(element+".options", "no options")
		}
		c.options(element+".options", e.Options, MaxCheckboxOptions)
		for i, o := range e.InitialOptions {
			c.initialOption(fmt.Sprintf("%s.initial_options[%d]", element, i), o, e.Options)
		}
	default:
		c.fail(element, "unsupported input element %T", b.Element)
	}
}

func (c *checker) selectElement(path string, e *slack.SelectBlockElement) {
	c.optionalText(path+".placeholder", e.Placeholder, MaxPlaceholder, true)
	switch e.Type {
	case slack.OptTypeStatic:
		if len(e.Options) == 0 {
			c.fail(path+".options", "no options")
		}
		c.options(path+".options", e.Options, MaxOptions)
		if e.InitialOption != nil {
			c.initialOption(path+".initial_option", e.InitialOption, e.Options)
		}
	case slack.OptTypeExternal:
		if len(e.Options) > 0 {
			c.fail(path+".options", "an external select loads its options")
		}
		if e.MinQueryLength != nil && *e.MinQueryLength < 0 {
			c.fail(path+".min_query_length", "%d, want 0 or more", *e.MinQueryLength)
		}
		if e.InitialOption != nil {
			c.options(path+".initial_option", []*slack.OptionBlockObject{e.InitialOption}, 1)
		}
	default:
		c.fail(path+".type", "unsupported select type %q", e.Type)
	}
}

// initialOption checks that o equals one of options, as Slack requires.
func (c *checker) initialOption(path string, o *slack.OptionBlockObject, options []*slack.OptionBlockObject) {
	for _, candidate := range options {
		if candidate != nil && candidate.Value == o.Value && sameText(candidate.Text, o.Text) {
			return
		}
	}
	c.fail(path, "value %q is not one of the options", o.Value)
}

func sameText(a, b *slack.TextBlockObject) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Type == b.Type && a.Text == b.Text
}

// options checks a list of options: its size, and each option's text,
// description and value.
func (c *checker) options(path string, options []*slack.OptionBlockObject, max int) {
	if len(options) > max {
		c.fail(path, "%d options, max %d", len(options), max)
	}
	values := map[string]bool{}
	for i, o := range options {
		p := fmt.Sprintf("%s[%d]", path, i)
		if o == nil {
			c.fail(p, "nil option")
			continue
		}
		c.text(p+".text", o.Text, MaxOptionText, true)
		c.optionalText(p+".description", o.Description, MaxOptionText, true)
		if o.Value == "" {
			c.fail(p+".value", "empty value")
		}
		c.length(p+".value", o.Value, MaxOptionValue)
		if values[o.Value] {
			c.fail(p+".value", "duplicate value %q", o.Value)
		}
		values[o.Value] = true
	}
}
