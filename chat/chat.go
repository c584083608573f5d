// Package chat delivers the bot's messages to Slack: channel posts paced at
// Slack's one message per second per channel, updates of earlier posts,
// thread replies, direct messages and ephemeral notes. When the bot cannot
// post in a channel (a DM, or a private channel it has not joined), the
// message goes to the user by DM and a note on how to invite the bot goes
// to the command's response_url, so no result is lost.
package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
)

// Poster sends messages. It is safe for concurrent use.
type Poster struct {
	api *slack.Client
	// http posts to response_url addresses.
	http *http.Client
	log  zerolog.Logger
	// botUserID is the bot's own Slack user id, for the invite hint.
	botUserID string
	interval  time.Duration

	mu sync.Mutex
	// nextSlot is, per channel, the earliest time of the next post.
	nextSlot map[string]time.Time
}

// Config configures a Poster.
type Config struct {
	API        *slack.Client
	HTTPClient *http.Client
	Log        zerolog.Logger
	BotUserID  string
	// Interval is the minimum gap between two posts in one channel. It is
	// one second when zero, Slack's chat.postMessage limit.
	Interval time.Duration
}

// New returns a Poster.
func New(cfg Config) *Poster {
	if cfg.Interval <= 0 {
		cfg.Interval = time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Poster{
		api:       cfg.API,
		http:      cfg.HTTPClient,
		log:       cfg.Log,
		botUserID: cfg.BotUserID,
		interval:  cfg.Interval,
		nextSlot:  make(map[string]time.Time),
	}
}

// Destination is the target of a result: a channel, and the user and
// response_url to fall back on.
type Destination struct {
	ChannelID   string
	UserID      string
	ResponseURL string
}

// Posted locates a posted message.
type Posted struct {
	ChannelID string
	TS        string
	// Fallback is true when the message went to the user by DM because the
	// bot could not post in the channel.
	Fallback bool
}

// cannotPost lists the chat.postMessage errors that mean the bot cannot
// post in a channel, as opposed to a broken message or a Slack outage.
var cannotPost = map[string]bool{
	"not_in_channel":      true,
	"channel_not_found":   true,
	"is_archived":         true,
	"restricted_action":   true,
	"cannot_dm_bot":       true,
	"user_not_in_channel": true,
}

// IsCannotPost reports whether err means the bot may not post in the
// channel.
func IsCannotPost(err error) bool {
	var slackErr slack.SlackErrorResponse
	return errors.As(err, &slackErr) && cannotPost[slackErr.Err]
}

// Post posts msg in d.ChannelID, paced per channel. When the bot cannot
// post there, it sends msg to d.UserID by DM and shows the user, through
// d.ResponseURL, how to invite the bot.
func (p *Poster) Post(ctx context.Context, d Destination, msg blocks.Message) (Posted, error) {
	channel, ts, err := p.post(ctx, d.ChannelID, msg)
	if err == nil {
		return Posted{ChannelID: channel, TS: ts}, nil
	}
	if !IsCannotPost(err) || d.UserID == "" {
		return Posted{}, fmt.Errorf("post in %s: %w", d.ChannelID, err)
	}
	p.log.Warn().Err(err).Str("channel_id", d.ChannelID).Str("user_id", d.UserID).
		Msg("cannot post in the channel; sending the message by DM instead")

	hint := p.inviteHint(d.ChannelID)
	if d.ResponseURL == "" || p.respond(ctx, d.ResponseURL, blocks.ErrorMessage(hint)) != nil {
		msg = withNote(msg, hint)
	}
	channel, ts, dmErr := p.post(ctx, d.UserID, msg)
	if dmErr != nil {
		return Posted{}, fmt.Errorf("post in %s: %w; DM to %s: %w", d.ChannelID, err, d.UserID, dmErr)
	}
	return Posted{ChannelID: channel, TS: ts, Fallback: true}, nil
}

// Reply posts msg in the thread of threadTS, so that the channel's members
// are notified.
func (p *Poster) Reply(ctx context.Context, channel, threadTS string, msg blocks.Message) error {
	_, _, err := p.post(ctx, channel, msg, slack.MsgOptionTS(threadTS))
	if err != nil {
		return fmt.Errorf("reply in %s thread %s: %w", channel, threadTS, err)
	}
	return nil
}

// Update replaces the message at channel and ts with msg. When Slack no
// longer lets the bot edit it, msg is posted anew and the new location is
// returned.
func (p *Poster) Update(ctx context.Context, channel, ts string, msg blocks.Message) (Posted, error) {
	_, _, _, err := p.api.UpdateMessageContext(ctx, channel, ts, msg.MsgOptions()...)
	if err == nil {
		return Posted{ChannelID: channel, TS: ts}, nil
	}
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) && (slackErr.Err == "message_not_found" || slackErr.Err == "cant_update_message" || slackErr.Err == "edit_window_closed") {
		p.log.Info().Str("channel_id", channel).Str("ts", ts).Str("error", slackErr.Err).
			Msg("cannot update the message; posting it anew")
		newChannel, newTS, postErr := p.post(ctx, channel, msg)
		if postErr != nil {
			return Posted{}, fmt.Errorf("update %s/%s: %w; post anew: %w", channel, ts, err, postErr)
		}
		return Posted{ChannelID: newChannel, TS: newTS}, nil
	}
	return Posted{}, fmt.Errorf("update %s/%s: %w", channel, ts, err)
}

// DM sends msg to a user's direct messages with the bot.
func (p *Poster) DM(ctx context.Context, userID string, msg blocks.Message) (Posted, error) {
	channel, ts, err := p.post(ctx, userID, msg)
	if err != nil {
		return Posted{}, fmt.Errorf("DM to %s: %w", userID, err)
	}
	return Posted{ChannelID: channel, TS: ts}, nil
}

// Ephemeral shows msg to d.UserID alone: in the channel when the bot can
// post there, otherwise through d.ResponseURL, and as a last resort by DM.
func (p *Poster) Ephemeral(ctx context.Context, d Destination, msg blocks.Message) error {
	var errs []error
	if d.ChannelID != "" {
		_, err := p.api.PostEphemeralContext(ctx, d.ChannelID, d.UserID, msg.MsgOptions()...)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("chat.postEphemeral: %w", err))
	}
	if d.ResponseURL != "" {
		err := p.respond(ctx, d.ResponseURL, msg)
		if err == nil {
			return nil
		}
		errs = append(errs, fmt.Errorf("response_url: %w", err))
	}
	if _, err := p.DM(ctx, d.UserID, msg); err != nil {
		errs = append(errs, err)
		return fmt.Errorf("ephemeral to %s: %w", d.UserID, errors.Join(errs...))
	}
	p.log.Info().Str("user_id", d.UserID).Str("channel_id", d.ChannelID).Err(errors.Join(errs...)).
		Msg("ephemeral message sent by DM instead")
	return nil
}

// post calls chat.postMessage once the channel's next slot has come.
func (p *Poster) post(ctx context.Context, channel string, msg blocks.Message, extra ...slack.MsgOption) (string, string, error) {
	if err := p.waitTurn(ctx, channel); err != nil {
		return "", "", err
	}
	options := append(msg.MsgOptions(), extra...)
	return p.api.PostMessageContext(ctx, channel, options...)
}

// waitTurn reserves the channel's next posting slot and waits for it.
// Slots are handed out in call order, so posts queue instead of failing.
func (p *Poster) waitTurn(ctx context.Context, channel string) error {
	now := time.Now()
	p.mu.Lock()
	slot := p.nextSlot[channel]
	if slot.Before(now) {
		slot = now
	}
	p.nextSlot[channel] = slot.Add(p.interval)
	if len(p.nextSlot) > 10_000 {
		for ch, next := range p.nextSlot {
			if next.Before(now) {
				delete(p.nextSlot, ch)
			}
		}
	}
	p.mu.Unlock()

	wait := slot.Sub(now)
	if wait <= 0 {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// respond posts an ephemeral message to a response_url.
func (p *Poster) respond(ctx context.Context, responseURL string, msg blocks.Message) error {
	body, err := json.Marshal(map[string]any{
		"response_type":    "ephemeral",
		"replace_original": false,
		"text":             msg.Text,
		"blocks":           msg.Blocks,
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, responseURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.http.Do(req)
	if err != nil {
		// A response_url lets anyone who has it post to the conversation
		// for 30 minutes, so it stays out of errors and logs.
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			return fmt.Errorf("post to response_url: %w", urlErr.Err)
		}
		return fmt.Errorf("post to response_url: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post to response_url: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (p *Poster) inviteHint(channel string) string {
	bot := "the bot"
	if p.botUserID != "" {
		bot = "<@" + p.botUserID + ">"
	}
	return fmt.Sprintf("I can't post in <#%s>, so I sent the result to you by DM. To get results in that channel, invite me there with `/invite %s`.", channel, bot)
}

// withNote appends a context line to msg.
func withNote(msg blocks.Message, note string) blocks.Message {
	out := blocks.Message{Text: msg.Text, Blocks: append([]slack.Block{}, msg.Blocks...)}
	out.Blocks = append(out.Blocks, slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, note, false, false)))
	return out
}
