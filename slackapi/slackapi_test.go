package slackapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		header string
		limit  time.Duration
		want   time.Duration
	}{
		{"2", time.Minute, 2 * time.Second},
		{"0", time.Minute, 0},
		{"1.5", time.Minute, 1500 * time.Millisecond},
		{" 3 ", time.Minute, 3 * time.Second},
		{"", time.Minute, time.Second},
		{"soon", time.Minute, time.Second},
		{"-4", time.Minute, time.Second},
		{"NaN", time.Minute, time.Second},
		{"120", time.Minute, time.Minute},
		{"1e10", time.Minute, time.Minute},
		{"1e300", time.Minute, time.Minute},
		{"+Inf", time.Minute, time.Minute},
		{"Fri, 01 Jan 2100 00:00:00 GMT", time.Minute, time.Minute},
		{"Sat, 01 Jan 2000 00:00:00 GMT", time.Minute, 0},
		{"30", 10 * time.Second, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			if got := retryAfter(tt.header, tt.limit); got != tt.want {
				t.Errorf("retryAfter(%q, %s) = %s, want %s", tt.header, tt.limit, got, tt.want)
			}
		})
	}
}

// waits records the waits that OnRateLimited reports.
type waits struct {
	mu   sync.Mutex
	list []time.Duration
}

func (w *waits) record(_ string, d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, d)
}

func (w *waits) get() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.list...)
}

func newFake(t *testing.T) *fakeslack.Server {
	t.Helper()
	s := fakeslack.New(fakeslack.WithLogf(t.Logf))
	t.Cleanup(s.Close)
	return s
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestPostMessageAfterTwoRateLimits makes chat.postMessage return 429 with
// Retry-After: 2 twice before it succeeds. The message must be posted
// once, and only after both waits.
func TestPostMessageAfterTwoRateLimits(t *testing.T) {
	fake := newFake(t)
	fake.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 2, Times: 2})
	var w waits
	api := New(fake.BotToken(), fake.AppToken(), fake.APIURL(), Options{OnRateLimited: w.record})

	channel, ts, err := api.PostMessageContext(testContext(t), "C_GENERAL", slack.MsgOptionText("machine ready", false))
	if err != nil {
		t.Fatalf("PostMessage: %v", err)
	}

	calls := fake.CallsTo("chat.postMessage")
	var errs []string
	for _, c := range calls {
		errs = append(errs, c.Error)
	}
	if want := []string{"http_429", "http_429", ""}; strings.Join(errs, ",") != strings.Join(want, ",") {
		t.Fatalf("chat.postMessage results = %q, want %q", errs, want)
	}
	messages := fake.Messages("C_GENERAL")
	if len(messages) != 1 {
		t.Fatalf("messages posted = %d, want 1", len(messages))
	}
	if messages[0].TS != ts || channel != "C_GENERAL" {
		t.Errorf("PostMessage = %s/%s, want the stored message %s/%s", channel, ts, messages[0].Channel, messages[0].TS)
	}
	if got := w.get(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 2*time.Second {
		t.Errorf("waits = %v, want [2s 2s]", got)
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].At.Sub(calls[i-1].At); gap < 2*time.Second {
			t.Errorf("call %d came %s after the 429 before it, want at least the 2s Retry-After", i+1, gap)
		}
	}
}

// TestRateLimitRetriedForEveryBody checks the retry for the body shapes
// slack-go sends: form fields (chat.postMessage) and JSON (views.open).
func TestRateLimitRetriedForEveryBody(t *testing.T) {
	fake := newFake(t)
	api := New(fake.BotToken(), fake.AppToken(), fake.APIURL(), Options{})
	tests := []struct {
		method string
		call   func(ctx context.Context) error
	}{
		{"chat.postMessage", func(ctx context.Context) error {
			_, _, err := api.PostMessageContext(ctx, "C_FORM", slack.MsgOptionText("form body", false))
			return err
		}},
		{"views.open", func(ctx context.Context) error {
			view := slack.ModalViewRequest{
				Type:   slack.VTModal,
				Title:  slack.NewTextBlockObject(slack.PlainTextType, "JSON body", false, false),
				Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}},
			}
			_, err := api.OpenViewContext(ctx, fake.NewTriggerID(), view)
			return err
		}},
		{"apps.connections.open", func(ctx context.Context) error {
			_, _, err := api.StartSocketModeContext(ctx)
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			fake.Inject(tt.method, fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 0, Times: 1})
			if err := tt.call(testContext(t)); err != nil {
				t.Fatalf("%s: %v", tt.method, err)
			}
			calls := fake.CallsTo(tt.method)
			if len(calls) != 2 || calls[0].Error != "http_429" || calls[1].Error != "" {
				t.Errorf("%s calls = %+v, want a 429 then a success", tt.method, calls)
			}
			if len(calls) == 2 && calls[1].Params.Encode() != calls[0].Params.Encode() {
				t.Errorf("retried request params = %v, want the first request's %v", calls[1].Params, calls[0].Params)
			}
		})
	}
}

// TestRateLimitRetryBound makes every call return 429 and checks that one
// call is sent at most MaxRateLimitRetries+1 times, then fails with
// slack-go's rate-limit error, logged once.
func TestRateLimitRetryBound(t *testing.T) {
	tests := []struct {
		name    string
		retries int
		want    int
	}{
		{"two", 2, 3},
		{"default", 0, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 0})
			var logs bytes.Buffer
			api := New(fake.BotToken(), fake.AppToken(), fake.APIURL(), Options{
				Log:                 zerolog.New(&logs),
				MaxRateLimitRetries: tt.retries,
			})

			_, _, err := api.PostMessageContext(testContext(t), "C1", slack.MsgOptionText("x", false))
			var rateErr *slack.RateLimitedError
			if !errors.As(err, &rateErr) {
				t.Fatalf("PostMessage error = %v (%T), want *slack.RateLimitedError", err, err)
			}
			if n := len(fake.CallsTo("chat.postMessage")); n != tt.want {
				t.Errorf("calls = %d, want %d", n, tt.want)
			}
			if n := strings.Count(logs.String(), "giving up"); n != 1 {
				t.Errorf("give-up log lines = %d, want 1:\n%s", n, logs.String())
			}
			if n := len(fake.Messages("C1")); n != 0 {
				t.Errorf("messages = %d, want 0", n)
			}
		})
	}
}

// TestRateLimitWaitEndsWithContext cancels the call during a long
// Retry-After wait: the call must end at once, without another request.
func TestRateLimitWaitEndsWithContext(t *testing.T) {
	fake := newFake(t)
	fake.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 3600})
	ctx, cancel := context.WithCancel(testContext(t))
	api := New(fake.BotToken(), fake.AppToken(), fake.APIURL(), Options{
		MaxRetryAfter: time.Hour,
		OnRateLimited: func(string, time.Duration) { cancel() },
	})

	_, _, err := api.PostMessageContext(ctx, "C1", slack.MsgOptionText("x", false))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("PostMessage error = %v, want context.Canceled", err)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}

// TestRateLimitBodyNotReplayable sends a request whose body cannot be
// read twice: the 429 must come back as it is, with no second request.
func TestRateLimitBodyNotReplayable(t *testing.T) {
	fake := newFake(t)
	fake.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 0})
	client := NewHTTPClient(Options{})

	form := url.Values{"token": {fake.BotToken()}, "channel": {"C1"}, "text": {"x"}}
	body := io.MultiReader(strings.NewReader(form.Encode()))
	req, err := http.NewRequestWithContext(testContext(t), http.MethodPost, fake.APIURL()+"chat.postMessage", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("status = %d, want 429", resp.StatusCode)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 1 {
		t.Errorf("calls = %d, want 1", n)
	}
}
