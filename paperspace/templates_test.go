package paperspace_test

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestListTemplatesDecodesSeeds(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)

	got, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{})
	if err != nil {
		t.Fatalf("ListTemplates error: %v", err)
	}
	want := []paperspace.Template{
		{
			ID: "t123abc", Name: "paperspace/t123abc", Label: "Windows 10", OS: "Windows 10 (Server 2016)",
			DtCreated: time.Date(2017, 1, 3, 23, 41, 6, 801e6, time.UTC),
		},
		{
			ID: "t456def", Name: "t456def", Label: "New Template 1",
			OS:     "Ubuntu 14.04.5 LTS; uname: 4.2.0-27-generic; distro: ubuntu; major: 14; minor: 04",
			TeamID: "te456def", Region: "East Coast (NY2)",
			DtCreated: time.Date(2017, 2, 6, 18, 46, 44, 882e6, time.UTC),
		},
		{
			ID: "tibsmjg", Name: "paperspace/tibsmjg", Label: "", OS: "Ubuntu 16.04 Desktop",
			DtCreated: time.Date(2017, 6, 12, 18, 21, 56, 221e6, time.UTC),
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("templates =\n%+v\nwant\n%+v", got, want)
	}
}

func TestListTemplatesSendsFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter paperspace.TemplateFilter
		want   url.Values
		wantN  int
	}{
		{"none", paperspace.TemplateFilter{}, url.Values{}, 3},
		{"label", paperspace.TemplateFilter{Label: "Windows 10"}, url.Values{"label": {"Windows 10"}}, 1},
		{"team", paperspace.TemplateFilter{TeamID: "te456def"}, url.Values{"teamId": {"te456def"}}, 1},
		{
			"every field",
			paperspace.TemplateFilter{ID: "t456def", Name: "t456def", Label: "New Template 1", OS: "x", TeamID: "te456def", UserID: "u1", Region: "East Coast (NY2)"},
			url.Values{"id": {"t456def"}, "name": {"t456def"}, "label": {"New Template 1"}, "os": {"x"}, "teamId": {"te456def"}, "userId": {"u1"}, "region": {"East Coast (NY2)"}},
			0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)

			templates, err := client.ListTemplates(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("ListTemplates error: %v", err)
			}
			if len(templates) != tt.wantN {
				t.Errorf("got %d templates, want %d", len(templates), tt.wantN)
			}
			if got := fake.RequestsTo(fakecoreapi.PathGetTemplates)[0].Query; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListTemplatesEmptyBodies(t *testing.T) {
	for _, body := range []string{"", "null", "[]"} {
		t.Run(body, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathGetTemplates, fakecoreapi.Failure{Status: 200, Body: body})
			client := newClient(t, fake)

			templates, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{})
			if err != nil {
				t.Fatalf("ListTemplates error: %v", err)
			}
			if templates == nil || len(templates) != 0 {
				t.Errorf("templates = %#v, want an empty, non-nil list", templates)
			}
		})
	}
}

func TestListTemplatesInvalidKey(t *testing.T) {
	fake := newFake(t)
	client, err := paperspace.NewClient(fake.URL(), "wrong-key", paperspace.WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatalf("NewClient error: %v", err)
	}

	_, err = client.ListTemplates(context.Background(), paperspace.TemplateFilter{})
	if !paperspace.IsInvalidAPIKey(err) {
		t.Errorf("ListTemplates error = %v, want an invalid API key error", err)
	}
	if got := len(fake.RequestsTo(fakecoreapi.PathGetTemplates)); got != 1 {
		t.Errorf("server saw %d requests, want 1 because a 400 is not retried", got)
	}
}
