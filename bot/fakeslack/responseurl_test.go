package fakeslack_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func postResponse(t *testing.T, url, body string) int {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestResponseURLIsUniqueAndLocal(t *testing.T) {
	s := newServer(t)
	a, b := s.ResponseURL(), s.ResponseURL()
	if a == b || !strings.HasPrefix(a, "http://127.0.0.1:") || !strings.Contains(a, "/response/") {
		t.Errorf("ResponseURL() = %q then %q, want two different 127.0.0.1 /response/ URLs", a, b)
	}
}

func TestResponseURLThroughSlackGo(t *testing.T) {
	s := newServer(t)
	url := s.ResponseURL()
	_, _, err := newClient(s).PostMessageContext(testContext(t), "",
		slack.MsgOptionResponseURL(url, slack.ResponseTypeEphemeral),
		slack.MsgOptionText("Not allowed", false),
	)
	if err != nil {
		t.Fatalf("post to response URL: %v", err)
	}
	posts := s.ResponseURLPosts()
	if len(posts) != 1 {
		t.Fatalf("posts = %d, want 1", len(posts))
	}
	p := posts[0]
	checkFields(t,
		field{"url", p.URL, url},
		field{"text", p.Text, "Not allowed"},
		field{"response_type", p.ResponseType, "ephemeral"},
		field{"error", p.Error, ""},
	)
}

func TestResponseURLEffects(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, s *fakeslack.Server, ts string)
	}{
		{"ephemeral by default", `{"text":"only you"}`, func(t *testing.T, s *fakeslack.Server, _ string) {
			eph := s.Ephemerals()
			if len(eph) != 1 {
				t.Fatalf("ephemerals = %+v, want 1", eph)
			}
			checkFields(t,
				field{"user", eph[0].User, "U1"},
				field{"channel", eph[0].Channel, "C1"},
				field{"via", eph[0].Via, "response_url"},
			)
		}},
		{"in channel", `{"text":"everyone","response_type":"in_channel"}`, func(t *testing.T, s *fakeslack.Server, _ string) {
			msgs := s.Messages("C1")
			if len(msgs) != 2 {
				t.Fatalf("messages = %+v, want the original and a new one", msgs)
			}
			checkFields(t, field{"ephemeral", msgs[1].Ephemeral, false}, field{"text", msgs[1].Text, "everyone"})
		}},
		{"replace original", `{"text":"Approved","replace_original":true}`, func(t *testing.T, s *fakeslack.Server, ts string) {
			m, ok := s.Message("C1", ts)
			if !ok {
				t.Fatalf("original message %s gone", ts)
			}
			checkFields(t, field{"text", m.Text, "Approved"}, field{"updates", m.Updates, 1})
		}},
		{"delete original", `{"delete_original":true}`, func(t *testing.T, s *fakeslack.Server, ts string) {
			if _, ok := s.Message("C1", ts); ok {
				t.Errorf("original message still stored")
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			_, ts, err := newClient(s).PostMessageContext(testContext(t), "C1", slack.MsgOptionText("request", false))
			if err != nil {
				t.Fatal(err)
			}
			env := s.BlockActions(fakeslack.BlockActionsArgs{UserID: "U1", ChannelID: "C1", MessageTS: ts,
				Actions: []fakeslack.Action{{ActionID: "approve_request", Value: "r1"}}})
			url := env.Payload.(map[string]any)["response_url"].(string)

			if code := postResponse(t, url, tt.body); code != http.StatusOK {
				t.Fatalf("status = %d, want 200", code)
			}
			tt.check(t, s, ts)
		})
	}
}

func TestResponseURLLimits(t *testing.T) {
	s := newServer(t)
	url := s.ResponseURL()
	for i := range 5 {
		if code := postResponse(t, url, `{"text":"x"}`); code != http.StatusOK {
			t.Fatalf("post %d: status %d, want 200", i+1, code)
		}
	}
	tests := []struct {
		name, url, body string
		wantStatus      int
		wantError       string
	}{
		{"sixth use", url, `{"text":"x"}`, http.StatusNotFound, "used_url"},
		{"unknown URL", strings.Replace(url, "/response/", "/response/999", 1), `{"text":"x"}`, http.StatusNotFound, "invalid_url"},
		{"no text", s.ResponseURL(), `{}`, http.StatusBadRequest, "no_text"},
		{"not JSON", s.ResponseURL(), `text=x`, http.StatusBadRequest, "invalid_payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code := postResponse(t, tt.url, tt.body); code != tt.wantStatus {
				t.Errorf("status = %d, want %d", code, tt.wantStatus)
			}
			posts := s.ResponseURLPosts()
			if got := posts[len(posts)-1].Error; got != tt.wantError {
				t.Errorf("recorded error = %q, want %q", got, tt.wantError)
			}
		})
	}
}

func TestWaitResponsePost(t *testing.T) {
	s := newServer(t)
	url := s.ResponseURL()
	done := make(chan int, 1)
	go func() {
		resp, err := http.Post(url, "application/json", strings.NewReader(`{"text":"later"}`))
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	p, err := s.WaitResponsePost(testContext(t), func(p fakeslack.ResponsePost) bool { return p.Text == "later" })
	if err != nil {
		t.Fatal(err)
	}
	if p.URL != url {
		t.Errorf("post URL = %q, want %q", p.URL, url)
	}
	if code := <-done; code != http.StatusOK {
		t.Errorf("status = %d, want 200", code)
	}
}
