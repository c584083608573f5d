package chat_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/slackapi"
)

const (
	userID    = "U_INVOKER"
	channelID = "C_MACHINES"
)

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

// requestStarts is an http.RoundTripper that records when each request
// to a Web API method starts.
type requestStarts struct {
	mu     sync.Mutex
	starts map[string][]time.Time
}

func (r *requestStarts) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	if r.starts == nil {
		r.starts = map[string][]time.Time{}
	}
	method := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	r.starts[method] = append(r.starts[method], time.Now())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func (r *requestStarts) get(method string) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Time(nil), r.starts[method]...)
}

func newPoster(fake *fakeslack.Server, interval time.Duration, transport http.RoundTripper) *chat.Poster {
	options := []slack.Option{slack.OptionAPIURL(fake.APIURL())}
	if transport != nil {
		options = append(options, slack.OptionHTTPClient(&http.Client{Transport: transport}))
	}
	return chat.New(chat.Config{
		API:       slack.New(fake.BotToken(), options...),
		Log:       zerolog.Nop(),
		BotUserID: fake.BotUserID(),
		Interval:  interval,
	})
}

func message(text string) blocks.Message {
	return blocks.Message{
		Text:   text,
		Blocks: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil)},
	}
}

func TestPacingOneChannel(t *testing.T) {
	const interval = 300 * time.Millisecond
	fake := newFake(t)
	starts := &requestStarts{}
	p := newPoster(fake, interval, starts)
	ctx := testContext(t)

	before := time.Now()
	for _, text := range []string{"first", "second"} {
		if _, err := p.Post(ctx, chat.Destination{ChannelID: channelID}, message(text)); err != nil {
			t.Fatalf("Post(%s): %v", text, err)
		}
	}

	got := starts.get("chat.postMessage")
	if len(got) != 2 {
		t.Fatalf("chat.postMessage requests = %d, want 2", len(got))
	}
	if gap := got[1].Sub(before); gap < interval {
		t.Errorf("second post started %s after the first Post call, want at least %s", gap, interval)
	}
	if n := len(fake.Messages(channelID)); n != 2 {
		t.Errorf("messages = %d, want 2", n)
	}
}

// TestPacingPerChannel uses an interval of an hour: a post to another
// channel must not wait for it, and a second post to the same channel
// must wait until its context ends.
func TestPacingPerChannel(t *testing.T) {
	fake := newFake(t)
	p := newPoster(fake, time.Hour, nil)
	ctx := testContext(t)

	if _, err := p.Post(ctx, chat.Destination{ChannelID: "C_ONE"}, message("one")); err != nil {
		t.Fatalf("Post in C_ONE: %v", err)
	}
	if _, err := p.Post(ctx, chat.Destination{ChannelID: "C_TWO"}, message("two")); err != nil {
		t.Fatalf("Post in C_TWO: %v", err)
	}
	if _, err := p.DM(ctx, userID, message("dm")); err != nil {
		t.Fatalf("DM: %v", err)
	}

	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	_, err := p.Post(short, chat.Destination{ChannelID: "C_ONE"}, message("again"))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second Post in C_ONE = %v, want it to wait past its deadline", err)
	}
	if n := len(fake.Messages("C_ONE")); n != 1 {
		t.Errorf("messages in C_ONE = %d, want 1", n)
	}
}

// TestPostAfterRateLimit posts through the client that slackapi builds:
// a 429 is waited out and the message is posted once.
func TestPostAfterRateLimit(t *testing.T) {
	fake := newFake(t)
	fake.Inject("chat.postMessage", fakeslack.Fault{Status: http.StatusTooManyRequests, RetryAfter: 1, Times: 2})
	p := chat.New(chat.Config{
		API: slackapi.New(fake.BotToken(), fake.AppToken(), fake.APIURL(), slackapi.Options{}),
		Log: zerolog.Nop(),
	})

	posted, err := p.Post(testContext(t), chat.Destination{ChannelID: channelID, UserID: userID}, message("machine ready"))
	if err != nil {
		t.Fatalf("Post: %v", err)
	}
	if posted.Fallback {
		t.Error("Post fell back to a DM, want the channel")
	}
	messages := fake.Messages(channelID)
	if len(messages) != 1 || messages[0].TS != posted.TS {
		t.Errorf("messages = %+v, want the one posted at %s", messages, posted.TS)
	}
	if n := len(fake.CallsTo("chat.postMessage")); n != 3 {
		t.Errorf("chat.postMessage calls = %d, want 3", n)
	}
}

// TestPostInChannelBotCannotUse posts in a channel the bot may not post
// in. The message must reach the invoker by DM, and a line on how to
// invite the bot must reach them through the response_url, or in the DM
// when the response_url is missing or fails.
func TestPostInChannelBotCannotUse(t *testing.T) {
	tests := []struct {
		name    string
		channel fakeslack.ChannelConfig
		// responseURL is "command" for the slash command's URL, "broken"
		// for one that fails, or "" for none.
		responseURL string
		wantHintIn  string // "response_url" or "dm"
	}{
		{"not in channel", fakeslack.ChannelConfig{Exists: true}, "command", "response_url"},
		{"channel not found", fakeslack.ChannelConfig{}, "command", "response_url"},
		{"not in channel without response_url", fakeslack.ChannelConfig{Exists: true}, "", "dm"},
		{"channel not found without response_url", fakeslack.ChannelConfig{}, "", "dm"},
		{"response_url fails", fakeslack.ChannelConfig{Exists: true}, "broken", "dm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			const private = "C_PRIVATE"
			fake.SetChannel(private, tt.channel)
			p := newPoster(fake, time.Millisecond, nil)

			var responseURL string
			switch tt.responseURL {
			case "command":
				cmd := fake.SlashCommand(fakeslack.SlashCommandArgs{UserID: userID, ChannelID: private, Text: "create"})
				responseURL = cmd.Payload.(map[string]any)["response_url"].(string)
			case "broken":
				responseURL = strings.TrimSuffix(fake.APIURL(), "/api/") + "/response/no-such-url"
			}

			msg := message("Machine *gpu-1* is ready.")
			posted, err := p.Post(testContext(t), chat.Destination{ChannelID: private, UserID: userID, ResponseURL: responseURL}, msg)
			if err != nil {
				t.Fatalf("Post: %v", err)
			}
			dm := fake.DMChannel(userID)
			if !posted.Fallback || posted.ChannelID != dm {
				t.Errorf("Post = %+v, want a fallback to the DM channel %s", posted, dm)
			}

			dms := fake.Messages(dm)
			if len(dms) != 1 {
				t.Fatalf("DMs = %d, want 1", len(dms))
			}
			if dms[0].Text != msg.Text || !strings.Contains(string(dms[0].Blocks), "gpu-1") {
				t.Errorf("DM = %q %s, want the message", dms[0].Text, dms[0].Blocks)
			}
			// The JSON escapes "<" and ">", so the mention is checked by id.
			dmHasHint := strings.Contains(string(dms[0].Blocks), "/invite") &&
				strings.Contains(string(dms[0].Blocks), fake.BotUserID())

			var hints []fakeslack.ResponsePost
			for _, post := range fake.ResponseURLPosts() {
				if post.Error == "" && strings.Contains(post.Text+string(post.Blocks), "/invite") {
					hints = append(hints, post)
				}
			}
			switch tt.wantHintIn {
			case "response_url":
				if len(hints) != 1 {
					t.Errorf("response_url posts with the invite hint = %d, want 1", len(hints))
				} else if hints[0].ResponseType != "ephemeral" {
					t.Errorf("response_type = %q, want ephemeral", hints[0].ResponseType)
				}
				if dmHasHint {
					t.Errorf("DM carries the invite hint too: %s", dms[0].Blocks)
				}
			case "dm":
				if !dmHasHint {
					t.Errorf("DM has no invite hint: %s", dms[0].Blocks)
				}
				if len(hints) != 0 {
					t.Errorf("response_url posts with the hint = %d, want 0", len(hints))
				}
			}
			if n := len(fake.Messages(private)); n > 1 {
				t.Errorf("messages in %s = %d, want at most the ephemeral hint", private, n)
			}
		})
	}
}

// TestPostWithoutUserFails checks that a channel the bot cannot post in,
// with no user to fall back on, is an error that names the cause.
func TestPostWithoutUserFails(t *testing.T) {
	fake := newFake(t)
	fake.SetChannel("C_PRIVATE", fakeslack.ChannelConfig{Exists: true})
	p := newPoster(fake, time.Millisecond, nil)

	_, err := p.Post(testContext(t), chat.Destination{ChannelID: "C_PRIVATE"}, message("x"))
	if err == nil {
		t.Fatal("Post = nil error, want not_in_channel")
	}
	if !chat.IsCannotPost(err) {
		t.Errorf("IsCannotPost(%v) = false, want true", err)
	}
	if !strings.Contains(err.Error(), "C_PRIVATE") {
		t.Errorf("error %q does not name the channel", err)
	}
}

// TestEphemeralFallbacks shows a message to one user where the bot cannot
// post: through the response_url, else by DM.
func TestEphemeralFallbacks(t *testing.T) {
	tests := []struct {
		name        string
		channel     fakeslack.ChannelConfig
		responseURL bool
		wantVia     string
	}{
		{"member channel", fakeslack.ChannelConfig{Exists: true, BotIsMember: true}, true, "chat.postEphemeral"},
		{"not in channel", fakeslack.ChannelConfig{Exists: true}, true, "response_url"},
		{"channel not found", fakeslack.ChannelConfig{}, true, "response_url"},
		{"not in channel without response_url", fakeslack.ChannelConfig{Exists: true}, false, "chat.postMessage"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.SetChannel("C_X", tt.channel)
			p := newPoster(fake, time.Millisecond, nil)
			dest := chat.Destination{ChannelID: "C_X", UserID: userID}
			if tt.responseURL {
				cmd := fake.SlashCommand(fakeslack.SlashCommandArgs{UserID: userID, ChannelID: "C_X", Text: "list"})
				dest.ResponseURL = cmd.Payload.(map[string]any)["response_url"].(string)
			}

			if err := p.Ephemeral(testContext(t), dest, message("only you can see this")); err != nil {
				t.Fatalf("Ephemeral: %v", err)
			}
			var found []fakeslack.Message
			for _, m := range fake.AllMessages() {
				if strings.Contains(m.Text, "only you can see this") {
					found = append(found, m)
				}
			}
			if len(found) != 1 {
				t.Fatalf("messages = %d, want 1", len(found))
			}
			if found[0].Via != tt.wantVia {
				t.Errorf("sent via %q, want %q", found[0].Via, tt.wantVia)
			}
			if tt.wantVia != "chat.postMessage" && (!found[0].Ephemeral || found[0].User != userID) {
				t.Errorf("message = %+v, want it ephemeral for %s", found[0], userID)
			}
		})
	}
}
