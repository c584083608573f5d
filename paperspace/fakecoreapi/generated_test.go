package fakecoreapi_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestGeneratedTemplates(t *testing.T) {
	tests := []struct {
		name string
		n    int
		want int
	}{
		{"none", 0, 0},
		{"negative", -3, 0},
		{"five thousand", 5000, 5000},
		{"capped", 100_001, 100_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			templates := fakecoreapi.GeneratedTemplates(tt.n)
			if len(templates) != tt.want {
				t.Fatalf("len = %d, want %d", len(templates), tt.want)
			}
			ids := make(map[string]bool, len(templates))
			for _, tmpl := range templates {
				if ids[tmpl.ID] {
					t.Fatalf("id %s appears twice", tmpl.ID)
				}
				ids[tmpl.ID] = true
				if tmpl.Label == "" || tmpl.OS == "" {
					t.Errorf("template %s has label %q and OS %q, want both set", tmpl.ID, tmpl.Label, tmpl.OS)
				}
			}
		})
	}
}

func TestGeneratedTemplatesRepeatable(t *testing.T) {
	first, second := fakecoreapi.GeneratedTemplates(50), fakecoreapi.GeneratedTemplates(50)
	if !reflect.DeepEqual(first, second) {
		t.Errorf("two calls with the same n returned different templates")
	}
}

func TestGeneratedTemplatesServed(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithTemplates(fakecoreapi.GeneratedTemplates(5000)))
	got, err := newClient(t, fake).ListTemplates(context.Background(), paperspace.TemplateFilter{})
	if err != nil {
		t.Fatalf("ListTemplates: %v", err)
	}
	if len(got) != 5000 {
		t.Errorf("ListTemplates returned %d templates, want 5000", len(got))
	}
	team, err := newClient(t, fake).ListTemplates(context.Background(), paperspace.TemplateFilter{TeamID: "te456def"})
	if err != nil {
		t.Fatalf("ListTemplates of the team: %v", err)
	}
	if len(team) != 5000/3 {
		t.Errorf("team templates = %d, want %d", len(team), 5000/3)
	}
}
