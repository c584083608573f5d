package blocks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestOptionsResponseFitsAck(t *testing.T) {
	tests := []struct {
		name  string
		label func(i int) string
	}{
		{"long ascii labels", func(i int) string { return fmt.Sprintf("Team template %03d %s", i, strings.Repeat("x", 60)) }},
		{"markup labels", func(i int) string { return fmt.Sprintf("<&> %03d %s", i, strings.Repeat("<&>", 22)) }},
		{"japanese labels", func(i int) string {
			return fmt.Sprintf("テンプレート %03d %s", i, strings.Repeat("機械学習", 15))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []*slack.OptionBlockObject
			for i := range 300 {
				opts = append(opts, TemplateOption(paperspace.Template{
					ID: fmt.Sprintf("t%07d", i), Label: tt.label(i), OS: "Ubuntu 22.04 Server", TeamID: "te456def", Region: "East Coast (NY2)",
				}))
			}
			payload := OptionsResponse(opts, 300).(optionsPayload)
			if size := payloadSize(payload); size > MaxOptionsPayloadBytes {
				t.Errorf("payload size = %d bytes, want at most %d", size, MaxOptionsPayloadBytes)
			}
			if len(payload.Options) == 0 {
				t.Fatalf("no options left")
			}
			last := payload.Options[len(payload.Options)-1]
			if last.Description == nil || !strings.Contains(last.Description.Text, "type more") {
				t.Errorf("last option has no hint to type more: %+v", last.Description)
			}
			if err := Check(payload); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestCharacterCount(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"ascii", "gpu-box-1", 9},
		{"cjk", "機械学習", 4},
		{"single emoji", "🚀🚀", 2},
		{"skin tone", "👍🏽", 1},
		{"zwj family", "👩‍💻", 1},
		{"flags", "🇯🇵🇫🇷", 2},
		{"combining accent", "e\u0301", 1},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := CharacterCount(tt.in); got != tt.want {
				t.Errorf("CharacterCount(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}
