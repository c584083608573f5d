package fakeslack_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestAPIURLEndsWithSlash(t *testing.T) {
	s := newServer(t)
	got := s.APIURL()
	if !strings.HasPrefix(got, "http://127.0.0.1:") || !strings.HasSuffix(got, "/api/") {
		t.Errorf("APIURL() = %q, want http://127.0.0.1:PORT/api/", got)
	}
}

func TestTokenChecks(t *testing.T) {
	s := newServer(t)
	botMethod := func(token string) error {
		_, err := slack.New(token, slack.OptionAPIURL(s.APIURL())).AuthTestContext(testContext(t))
		return err
	}
	openMethod := func(token string) error {
		api := slack.New("", slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(token))
		_, _, err := api.StartSocketModeContext(testContext(t))
		return err
	}
	tests := []struct {
		name string
		call func(token string) error
		tok  string
		want string
	}{
		{"bot method with bot token", botMethod, s.BotToken(), ""},
		{"bot method with app token", botMethod, s.AppToken(), "not_allowed_token_type"},
		{"bot method with unknown token", botMethod, "xoxb-unknown", "invalid_auth"},
		{"bot method without token", botMethod, "", "not_authed"},
		{"connections open with app token", openMethod, s.AppToken(), ""},
		{"connections open with bot token", openMethod, s.BotToken(), "not_allowed_token_type"},
		{"connections open with unknown token", openMethod, "xapp-unknown", "invalid_auth"},
		{"connections open without token", openMethod, "", "not_authed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call(tt.tok)
			if got := slackErr(err); got != tt.want {
				t.Errorf("error = %v (code %q), want code %q", err, got, tt.want)
			}
		})
	}
}

func TestTokenInFormOrBearer(t *testing.T) {
	s := newServer(t)
	tests := []struct {
		name string
		do   func() map[string]any
		want bool
	}{
		{"form token field", func() map[string]any {
			return postForm(t, s, "auth.test", url.Values{"token": {s.BotToken()}})
		}, true},
		{"JSON with bearer", func() map[string]any {
			return postJSON(t, s, "auth.test", s.BotToken(), map[string]any{})
		}, true},
		{"JSON with wrong bearer", func() map[string]any {
			return postJSON(t, s, "auth.test", "xoxb-wrong", map[string]any{})
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := tt.do()
			if got := body["ok"]; got != tt.want {
				t.Errorf("ok = %v, want %v (body %v)", got, tt.want, body)
			}
		})
	}
}

func TestUnknownMethod(t *testing.T) {
	s := newServer(t)
	body := postForm(t, s, "chat.scheduleMessage", url.Values{"token": {s.BotToken()}})
	if body["ok"] != false || body["error"] != "unknown_method" {
		t.Errorf("response = %v, want ok:false error:unknown_method", body)
	}
}

func TestAuthTest(t *testing.T) {
	s := newServer(t, fakeslack.WithTeam("T123", "acme"), fakeslack.WithBotUser("U999"))
	got, err := newClient(s).AuthTestContext(testContext(t))
	if err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	checks := []struct{ field, got, want string }{
		{"url", got.URL, "https://acme.slack.com/"},
		{"team", got.Team, "acme"},
		{"user", got.User, "paperspace-bot"},
		{"team_id", got.TeamID, "T123"},
		{"user_id", got.UserID, "U999"},
		{"bot_id", got.BotID, fakeslack.DefaultBotID},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
}

func TestCallsRecordFormAndJSON(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)

	_, _, err := api.PostMessageContext(ctx, "C1",
		slack.MsgOptionText("hi", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "hi", false, false), nil, nil)),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "vm_created", EventPayload: map[string]any{"id": "ps1"}}),
	)
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	view := slack.ModalViewRequest{
		Type:   slack.VTModal,
		Title:  slack.NewTextBlockObject("plain_text", "Create", false, false),
		Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}},
	}
	if _, err := api.OpenViewContext(ctx, s.NewTriggerID(), view); err != nil {
		t.Fatalf("views.open: %v", err)
	}

	posts := s.CallsTo("chat.postMessage")
	if len(posts) != 1 {
		t.Fatalf("chat.postMessage calls = %d, want 1", len(posts))
	}
	post := posts[0]
	if got := post.Params.Get("channel"); got != "C1" {
		t.Errorf("Params channel = %q, want C1", got)
	}
	if _, ok := post.Params["token"]; ok {
		t.Errorf("Params contains the token")
	}
	if blocks, ok := post.JSON["blocks"].([]any); !ok || len(blocks) != 1 {
		t.Errorf("JSON blocks = %#v, want a list of 1 block", post.JSON["blocks"])
	}
	meta, _ := post.JSON["metadata"].(map[string]any)
	if got := meta["event_type"]; got != "vm_created" {
		t.Errorf("JSON metadata event_type = %v, want vm_created", got)
	}

	opens := s.CallsTo("views.open")
	if len(opens) != 1 {
		t.Fatalf("views.open calls = %d, want 1", len(opens))
	}
	if got := opens[0].Params.Get("trigger_id"); got == "" {
		t.Errorf("Params trigger_id is empty")
	}
	if got := opens[0].Params.Get("view"); !strings.HasPrefix(got, `{"`) {
		t.Errorf("Params view = %q, want the view as JSON text", got)
	}
	if _, ok := opens[0].JSON["view"].(map[string]any); !ok {
		t.Errorf("JSON view = %#v, want an object", opens[0].JSON["view"])
	}
	if got := len(s.Calls()); got != 2 {
		t.Errorf("Calls() has %d calls, want 2", got)
	}
}

func TestInjectFaults(t *testing.T) {
	tests := []struct {
		name   string
		method string
		fault  fakeslack.Fault
		check  func(t *testing.T, err error)
	}{
		{"429 with Retry-After", "chat.postMessage", fakeslack.Fault{Status: 429, RetryAfter: 7, Times: 1}, func(t *testing.T, err error) {
			var rl *slack.RateLimitedError
			if !errors.As(err, &rl) {
				t.Fatalf("error = %v, want *slack.RateLimitedError", err)
			}
			if rl.RetryAfter != 7*time.Second {
				t.Errorf("RetryAfter = %v, want 7s", rl.RetryAfter)
			}
		}},
		{"500 status", "chat.postMessage", fakeslack.Fault{Status: 500, Times: 1}, func(t *testing.T, err error) {
			var sc slack.StatusCodeError
			if !errors.As(err, &sc) || sc.Code != 500 {
				t.Errorf("error = %v, want slack.StatusCodeError 500", err)
			}
		}},
		{"ok false error", "chat.postMessage", fakeslack.Fault{Error: "fatal_error", Times: 1}, func(t *testing.T, err error) {
			if got := slackErr(err); got != "fatal_error" {
				t.Errorf("error = %v, want fatal_error", err)
			}
		}},
		{"wildcard method", "*", fakeslack.Fault{Error: "service_unavailable", Times: 1}, func(t *testing.T, err error) {
			if got := slackErr(err); got != "service_unavailable" {
				t.Errorf("error = %v, want service_unavailable", err)
			}
		}},
		{"delay then success", "chat.postMessage", fakeslack.Fault{Delay: 20 * time.Millisecond, Times: 1}, func(t *testing.T, err error) {
			if err != nil {
				t.Errorf("error = %v, want nil", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t)
			api := newClient(s)
			s.Inject(tt.method, tt.fault)

			_, _, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText("hi", false))
			tt.check(t, err)

			_, _, err = api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText("again", false))
			if err != nil {
				t.Errorf("second call after a Times:1 fault: %v, want nil", err)
			}
		})
	}
}

func TestInjectUntilCleared(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	s.Inject("users.info", fakeslack.Fault{Error: "ratelimited"})
	for i := range 3 {
		_, err := api.GetUserInfoContext(testContext(t), s.BotUserID())
		if got := slackErr(err); got != "ratelimited" {
			t.Fatalf("call %d: error = %v, want ratelimited", i, err)
		}
	}
	s.ClearFaults()
	if _, err := api.GetUserInfoContext(testContext(t), s.BotUserID()); err != nil {
		t.Errorf("after ClearFaults: %v, want nil", err)
	}
	calls := s.CallsTo("users.info")
	if len(calls) != 4 {
		t.Fatalf("recorded calls = %d, want 4", len(calls))
	}
	checkFields(t, field{"first call error", calls[0].Error, "ratelimited"}, field{"last call error", calls[3].Error, ""})
}

func TestInjectFaultsInOrder(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	s.Inject("auth.test", fakeslack.Fault{Error: "first", Times: 2})
	s.Inject("auth.test", fakeslack.Fault{Error: "second", Times: 1})
	want := []string{"first", "first", "second", ""}
	for i, w := range want {
		_, err := api.AuthTestContext(testContext(t))
		if got := slackErr(err); got != w {
			t.Errorf("call %d: error code = %q, want %q", i, got, w)
		}
	}
}

// wroteRequest returns a context that closes wrote once the HTTP client has
// written a request, so the server has it.
func wroteRequest(ctx context.Context) (context.Context, <-chan struct{}) {
	wrote := make(chan struct{})
	var once sync.Once
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) {
		once.Do(func() { close(wrote) })
	}}
	return httptrace.WithClientTrace(ctx, trace), wrote
}

func TestDelayEndsWithClientContext(t *testing.T) {
	s := newServer(t)
	s.Inject("auth.test", fakeslack.Fault{Delay: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	ctx, wrote := wroteRequest(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s).AuthTestContext(ctx)
		errc <- err
	}()
	<-wrote
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	// Close must not wait out the hour.
	s.Close()
}

func TestCloseEndsDelayedRequests(t *testing.T) {
	s := fakeslack.New()
	s.Inject("auth.test", fakeslack.Fault{Delay: time.Hour})
	ctx, wrote := wroteRequest(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s).AuthTestContext(ctx)
		errc <- err
	}()
	<-wrote
	s.Close()
	select {
	case err := <-errc:
		if err == nil {
			t.Errorf("delayed request after Close: error = nil, want a failure")
		}
	case <-testContext(t).Done():
		t.Fatal("delayed request did not end after Close")
	}
}

func TestWaitCallSeesEarlierCalls(t *testing.T) {
	s := newServer(t)
	if _, err := newClient(s).AuthTestContext(testContext(t)); err != nil {
		t.Fatal(err)
	}
	c, err := s.WaitCall(testContext(t), "auth.test", nil)
	if err != nil {
		t.Fatalf("WaitCall: %v", err)
	}
	checkFields(t, field{"method", c.Method, "auth.test"})
	if c.At.IsZero() {
		t.Errorf("call time is zero")
	}
}

func TestWaitCallTimesOut(t *testing.T) {
	s := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := s.WaitCall(ctx, "views.open", nil)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
}

func TestStatus429BodyIsRatelimited(t *testing.T) {
	s := newServer(t)
	s.Inject("auth.test", fakeslack.Fault{Status: 429, RetryAfter: 3})
	resp, err := http.PostForm(s.APIURL()+"auth.test", url.Values{"token": {s.BotToken()}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 429 {
		t.Errorf("status = %d, want 429", resp.StatusCode)
	}
	if got := resp.Header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After = %q, want 3", got)
	}
}
