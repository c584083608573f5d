package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Message is a message stored in a channel: posted with chat.postMessage or
// chat.postEphemeral, through a response URL, or as the response payload of
// an ack.
type Message struct {
	// Channel is the channel id. A message posted to a user id is stored
	// under the id of the bot's DM channel with that user (see DMChannel).
	Channel  string
	TS       string
	ThreadTS string
	Text     string
	// Blocks is the message's blocks as JSON, or nil.
	Blocks json.RawMessage
	// Metadata is the message metadata as JSON, or nil.
	Metadata json.RawMessage
	// Ephemeral is set for a message only User can see.
	Ephemeral bool
	// User is the recipient of an ephemeral message.
	User string
	// Updates counts the changes made to the message since it was posted.
	Updates int
	// Via is the source of the message: a Web API method, "response_url"
	// or "ack".
	Via string
}

// ChannelConfig sets which errors a channel returns to the bot. Channels that SetChannel
// never configured exist and have the bot as a member.
type ChannelConfig struct {
	// Exists is false for a channel that returns channel_not_found.
	Exists bool
	// BotIsMember is false for a channel that returns not_in_channel.
	BotIsMember bool
	// Members, when not nil, lists the only users in the channel:
	// chat.postEphemeral to any other user fails with user_not_in_channel.
	Members []string
}

type messageKey struct{ channel, ts string }

// message is a stored Message and the changeSeq of its last change.
type message struct {
	Message
	changed uint64
}

// SetChannel configures which errors channel id returns to the bot.
func (s *Server) SetChannel(id string, cfg ChannelConfig) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg.Members = slices.Clone(cfg.Members)
	s.web.channels[id] = cfg
}

// DMChannel returns the id of the bot's DM channel with user, making the
// channel if needed. chat.postMessage to the user id and conversations.open
// use the same channel.
func (s *Server) DMChannel(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmChannelLocked(user)
}

func (s *Server) dmChannelLocked(user string) string {
	id, ok := s.web.dms[user]
	if !ok {
		id = s.newConversationIDLocked("D")
		s.web.dms[user] = id
	}
	return id
}

// newConversationIDLocked returns a new conversation id: "D" for a DM,
// "G" for a group DM.
func (s *Server) newConversationIDLocked(prefix string) string {
	s.web.conversationSeq++
	return fmt.Sprintf("%s%08d", prefix, s.web.conversationSeq)
}

// isUserID reports whether id names a user (U... or W...) rather than a
// conversation.
func isUserID(id string) bool {
	return strings.HasPrefix(id, "U") || strings.HasPrefix(id, "W")
}

// resolveChannelLocked maps a user id to its DM channel and checks that the
// bot may post in the channel.
func (s *Server) resolveChannelLocked(id string) (string, error) {
	if id == "" {
		return "", errorCode("channel_not_found")
	}
	if isUserID(id) {
		return s.dmChannelLocked(id), nil
	}
	cfg, ok := s.web.channels[id]
	if !ok {
		return id, nil
	}
	if !cfg.Exists {
		return "", errorCode("channel_not_found")
	}
	if !cfg.BotIsMember {
		return "", errorCode("not_in_channel")
	}
	return id, nil
}

// nextTSLocked returns a new message timestamp. Timestamps are unique and
// increase in both numeric and string order.
func (s *Server) nextTSLocked() string {
	n := s.web.tsSeq
	s.web.tsSeq++
	return fmt.Sprintf("%d.%06d", 1700000000+n/1000000, n%1000000)
}

// storeMessageLocked stores a new message and returns its timestamp.
func (s *Server) storeMessageLocked(m Message) *message {
	m.TS = s.nextTSLocked()
	s.web.changeSeq++
	stored := &message{Message: m, changed: s.web.changeSeq}
	s.web.messages = append(s.web.messages, stored)
	s.web.messageIndex[messageKey{m.Channel, m.TS}] = stored
	s.notifyLocked()
	return stored
}

func (s *Server) touchMessageLocked(m *message) {
	m.Updates++
	s.web.changeSeq++
	m.changed = s.web.changeSeq
	s.notifyLocked()
}

func (s *Server) deleteMessageLocked(m *message) {
	delete(s.web.messageIndex, messageKey{m.Channel, m.TS})
	s.web.messages = slices.DeleteFunc(s.web.messages, func(x *message) bool { return x == m })
	s.notifyLocked()
}

// messageContent is the text, blocks and metadata of a chat request.
type messageContent struct {
	text        string
	hasText     bool
	blocks      json.RawMessage
	hasBlocks   bool
	metadata    json.RawMessage
	hasMetadata bool
}

// parseMessageContent reads text, blocks and metadata, and checks the
// blocks against Block Kit's limits.
func parseMessageContent(r *apiRequest) (messageContent, error) {
	var c messageContent
	_, c.hasText = r.params["text"]
	c.text = r.str("text")

	if raw, ok := r.fields["blocks"]; ok {
		blocks, isList := raw.([]any)
		if !isList {
			return c, errorCode("invalid_blocks_format")
		}
		if problems := validateBlocks(blocks, "/blocks", maxMessageBlocks); len(problems) > 0 {
			return c, &apiError{code: "invalid_blocks", messages: problems}
		}
		c.blocks = json.RawMessage(r.str("blocks"))
		c.hasBlocks = true
	}
	if raw, ok := r.fields["metadata"]; ok {
		if _, isObject := raw.(map[string]any); !isObject {
			return c, errorCode("invalid_metadata_format")
		}
		c.metadata = json.RawMessage(r.str("metadata"))
		c.hasMetadata = true
	}
	return c, nil
}

// messageJSON is a stored message as Slack's message object.
func (s *Server) messageJSON(m Message) map[string]any {
	out := map[string]any{
		"type":   "message",
		"user":   s.cfg.botUserID,
		"bot_id": s.cfg.botID,
		"app_id": s.cfg.appID,
		"team":   s.cfg.teamID,
		"text":   m.Text,
		"ts":     m.TS,
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	return out
}

func (s *Server) chatPostMessage(r *apiRequest) (map[string]any, error) {
	content, err := parseMessageContent(r)
	if err != nil {
		return nil, err
	}
	if content.text == "" && !content.hasBlocks && r.str("attachments") == "" {
		return nil, errorCode("no_text")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	channel, err := s.resolveChannelLocked(r.str("channel"))
	if err != nil {
		return nil, err
	}
	m := s.storeMessageLocked(Message{
		Channel:  channel,
		ThreadTS: r.str("thread_ts"),
		Text:     content.text,
		Blocks:   content.blocks,
		Metadata: content.metadata,
		Via:      r.method,
	})
	return map[string]any{
		"channel": channel,
		"ts":      m.TS,
		"message": s.messageJSON(m.Message),
	}, nil
}

func (s *Server) chatPostEphemeral(r *apiRequest) (map[string]any, error) {
	content, err := parseMessageContent(r)
	if err != nil {
		return nil, err
	}
	if content.text == "" && !content.hasBlocks && r.str("attachments") == "" {
		return nil, errorCode("no_text")
	}
	user := r.str("user")
	if user == "" {
		return nil, errorCode("user_not_found")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	channel, err := s.resolveChannelLocked(r.str("channel"))
	if err != nil {
		return nil, err
	}
	if cfg, ok := s.web.channels[channel]; ok && cfg.Members != nil && !slices.Contains(cfg.Members, user) {
		return nil, errorCode("user_not_in_channel")
	}
	m := s.storeMessageLocked(Message{
		Channel:   channel,
		ThreadTS:  r.str("thread_ts"),
		Text:      content.text,
		Blocks:    content.blocks,
		Ephemeral: true,
		User:      user,
		Via:       r.method,
	})
	return map[string]any{"message_ts": m.TS}, nil
}

// findMessageLocked returns the stored non-ephemeral message at channel and
// ts. Slack cannot update or delete ephemeral messages through the Web API.
func (s *Server) findMessageLocked(channel, ts string) (*message, error) {
	if isUserID(channel) {
		channel = s.dmChannelLocked(channel)
	}
	m, ok := s.web.messageIndex[messageKey{channel, ts}]
	if !ok || m.Ephemeral {
		return nil, errorCode("message_not_found")
	}
	return m, nil
}

func (s *Server) chatUpdate(r *apiRequest) (map[string]any, error) {
	content, err := parseMessageContent(r)
	if err != nil {
		return nil, err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.resolveChannelLocked(r.str("channel")); err != nil {
		return nil, err
	}
	m, err := s.findMessageLocked(r.str("channel"), r.str("ts"))
	if err != nil {
		return nil, err
	}
	if content.hasText {
		m.Text = content.text
	}
	if content.hasBlocks {
		m.Blocks = content.blocks
		if string(m.Blocks) == "[]" {
			m.Blocks = nil
		}
	}
	if content.hasMetadata {
		m.Metadata = content.metadata
	}
	s.touchMessageLocked(m)
	return map[string]any{
		"channel": m.Channel,
		"ts":      m.TS,
		"text":    m.Text,
		"message": s.messageJSON(m.Message),
	}, nil
}

func (s *Server) chatDelete(r *apiRequest) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.resolveChannelLocked(r.str("channel")); err != nil {
		return nil, err
	}
	m, err := s.findMessageLocked(r.str("channel"), r.str("ts"))
	if err != nil {
		return nil, err
	}
	s.deleteMessageLocked(m)
	return map[string]any{"channel": m.Channel, "ts": m.TS}, nil
}

// Messages returns the messages stored in channel, ephemeral ones included,
// in the order they were posted. Deleted messages are gone.
func (s *Server) Messages(channel string) []Message {
	return s.filterMessages(func(m *Message) bool { return m.Channel == channel })
}

// AllMessages returns every stored message in the order they were posted.
func (s *Server) AllMessages() []Message {
	return s.filterMessages(func(*Message) bool { return true })
}

// Ephemerals returns the stored ephemeral messages in the order they were
// posted.
func (s *Server) Ephemerals() []Message {
	return s.filterMessages(func(m *Message) bool { return m.Ephemeral })
}

func (s *Server) filterMessages(keep func(*Message) bool) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.web.messages {
		if keep(&m.Message) {
			out = append(out, m.Message)
		}
	}
	return out
}

// Message returns the stored message at channel and ts.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.web.messageIndex[messageKey{channel, ts}]
	if !ok {
		return Message{}, false
	}
	return m.Message, true
}

// WaitMessage waits until a stored message satisfies match, and returns the
// message as it was then. It looks at messages stored before the call too,
// and again at each message that changes.
func (s *Server) WaitMessage(ctx context.Context, match func(Message) bool) (Message, error) {
	var found Message
	var seen uint64
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		var fresh []Message
		for _, m := range s.web.messages {
			if m.changed > seen {
				fresh = append(fresh, m.Message)
			}
		}
		seen = s.web.changeSeq
		s.mu.Unlock()
		for _, m := range fresh {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return Message{}, fmt.Errorf("wait for message: %w", err)
	}
	return found, nil
}
