package blocks

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// blockText returns the text of every header and section of m and the
// number of list lines in its sections.
func blockText(m Message) (runes, lines int, text string) {
	var b strings.Builder
	for _, block := range m.Blocks {
		switch block := block.(type) {
		case *slack.HeaderBlock:
			b.WriteString(block.Text.Text)
		case *slack.SectionBlock:
			b.WriteString(block.Text.Text)
			lines += strings.Count(block.Text.Text, "\n") + 1
		}
		b.WriteByte('\n')
	}
	return utf8.RuneCountInString(b.String()), lines, b.String()
}

func TestListSplit(t *testing.T) {
	longTemplates := templates(900)
	for i := range longTemplates {
		longTemplates[i].Label = strings.Repeat("長", 90) + fmt.Sprint(i)
	}
	tests := []struct {
		name      string
		build     func() []Message
		items     int
		wantPages int // -1 means more than one
		wantTitle string
	}{
		{"one page", func() []Message { return MachineList(manyMachines(10)) }, 10, 1, "Machines created by the bot: 10"},
		{"machines", func() []Message { return MachineList(manyMachines(400)) }, 400, 4, "Machines created by the bot: 400 (1 of 4)"},
		{"requests", func() []Message {
			var reqs []*paperspacebot.Request
			for i := range 200 {
				r := request(paperspacebot.StatePending)
				r.ID = fmt.Sprintf("r%09d", i)
				reqs = append(reqs, r)
			}
			return RequestList(reqs, t0)
		}, 200, -1, "Pending requests: 200 (1 of "},
		{"long templates", func() []Message { return TemplateList(longTemplates, "長") }, 900, -1, "Templates matching “長”: 900 (1 of "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			messages := tt.build()
			if tt.wantPages == -1 && len(messages) < 2 {
				t.Errorf("messages = %d, want more than one", len(messages))
			}
			if tt.wantPages > 0 && len(messages) != tt.wantPages {
				t.Errorf("messages = %d, want %d", len(messages), tt.wantPages)
			}
			if len(messages) == 0 {
				t.Fatal("no messages")
			}
			if got := messages[0].Text; !strings.HasPrefix(got, Escape(tt.wantTitle)) {
				t.Errorf("first fallback = %q, want it to start with %q", got, tt.wantTitle)
			}
			if err := Check(messages); err != nil {
				t.Errorf("Check: %v", err)
			}

			total := 0
			for i, m := range messages {
				runes, lines, _ := blockText(m)
				if runes > listTextBudget {
					t.Errorf("message %d has %d runes of block text, want at most %d", i, runes, listTextBudget)
				}
				if len(messages) > 1 && !strings.Contains(m.Text, fmt.Sprintf("(%d of %d)", i+1, len(messages))) {
					t.Errorf("message %d fallback = %q, want it to count pages", i, m.Text)
				}
				total += lines
			}
			if total != tt.items {
				t.Errorf("list lines = %d, want %d", total, tt.items)
			}
		})
	}
}

func TestListOrderKept(t *testing.T) {
	messages := MachineList(manyMachines(300))
	next := 0
	for _, m := range messages {
		_, _, text := blockText(m)
		for _, line := range strings.Split(text, "\n") {
			if !strings.HasPrefix(line, "• ") {
				continue
			}
			want := fmt.Sprintf("`ps%07d`", next)
			if !strings.Contains(line, want) {
				t.Fatalf("line %d = %q, want machine %s", next, line, want)
			}
			next++
		}
	}
	if next != 300 {
		t.Errorf("lines = %d, want 300", next)
	}
}

func TestListEmpty(t *testing.T) {
	tests := []struct {
		name     string
		messages []Message
		want     string
	}{
		{"requests", RequestList(nil, t0), "No requests are waiting for an admin."},
		{"requests of nils", RequestList([]*paperspacebot.Request{nil}, t0), "No requests are waiting for an admin."},
		{"machines", MachineList(nil), "The bot has not created any machines."},
		{"templates", TemplateList(nil, ""), "No templates found."},
		{"templates query", TemplateList([]paperspace.Template{}, "cuda"), "No templates match “cuda”."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.messages) != 1 {
				t.Fatalf("messages = %d, want 1", len(tt.messages))
			}
			m := tt.messages[0]
			if !strings.Contains(m.Text, tt.want) {
				t.Errorf("fallback = %q, want it to contain %q", m.Text, tt.want)
			}
			if err := Check(tt.messages); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}
