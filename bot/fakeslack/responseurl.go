package fakeslack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Slack's slash command docs allow up to 5 posts to a response URL within 30
// minutes of the interaction.
const (
	maxResponseURLUses = 5
	responseURLTTL     = 30 * time.Minute
)

// ResponsePost is one POST to a response URL.
type ResponsePost struct {
	// URL is the response URL the bot posted to.
	URL string
	// Body is the request body as sent.
	Body json.RawMessage
	// Text, Blocks, ResponseType, ThreadTS, ReplaceOriginal and
	// DeleteOriginal are the body's fields of the same names.
	Text            string
	Blocks          json.RawMessage
	ResponseType    string
	ThreadTS        string
	ReplaceOriginal bool
	DeleteOriginal  bool
	At              time.Time
	// Error is the error the server responded with, or "" on success.
	Error string
}

// responseTarget is the interaction a response URL belongs to: the channel and user
// of the interaction and, for a message button, the message.
type responseTarget struct {
	channel   string
	user      string
	messageTS string
	madeAt    time.Time
	uses      int
}

// ResponseURL returns a new response URL, http://127.0.0.1:PORT/response/N.
// Posts to it are recorded (see ResponseURLPosts) but change no message,
// because the URL belongs to no interaction. The payload builders make URLs
// that do belong to their interaction.
func (s *Server) ResponseURL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newResponseURLLocked(&responseTarget{})
}

func (s *Server) newResponseURLLocked(t *responseTarget) string {
	s.web.responseSeq++
	key := strconv.Itoa(s.web.responseSeq)
	t.madeAt = s.cfg.now()
	s.web.responseURLs[key] = t
	return s.baseURL + "/response/" + key
}

// responseBody is the JSON that a response URL accepts.
type responseBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ThreadTS        string          `json:"thread_ts"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
}

// serveResponseURL records a POST to a response URL and applies it: a new
// ephemeral or in-channel message, or a change to the original message.
//
// NOTE: Slack's status codes for used, expired and malformed posts are not
// documented in the pages the fake was built from. The fake responds with 404 for
// unknown, used and expired URLs and 400 for a bad body, with the error as
// plain text.
func (s *Server) serveResponseURL(w http.ResponseWriter, hr *http.Request) {
	key := strings.TrimPrefix(hr.URL.Path, "/response/")
	body, err := io.ReadAll(http.MaxBytesReader(w, hr.Body, maxBodyBytes))
	if err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	post := ResponsePost{URL: s.baseURL + hr.URL.Path, Body: body, At: s.cfg.now()}

	var parsed responseBody
	if err := json.Unmarshal(body, &parsed); err != nil {
		s.finishResponsePost(w, post, http.StatusBadRequest, "invalid_payload")
		return
	}
	post.Text = parsed.Text
	post.Blocks = parsed.Blocks
	post.ResponseType = parsed.ResponseType
	post.ThreadTS = parsed.ThreadTS
	post.ReplaceOriginal = parsed.ReplaceOriginal
	post.DeleteOriginal = parsed.DeleteOriginal

	status, errCode := s.applyResponsePost(key, parsed)
	s.finishResponsePost(w, post, status, errCode)
}

// applyResponsePost checks a post against its URL's limits and stores its
// effect. It returns the HTTP status and error code to respond with.
func (s *Server) applyResponsePost(key string, body responseBody) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()

	t, ok := s.web.responseURLs[key]
	switch {
	case !ok:
		return http.StatusNotFound, "invalid_url"
	case t.uses >= maxResponseURLUses:
		return http.StatusNotFound, "used_url"
	case s.cfg.now().Sub(t.madeAt) > responseURLTTL:
		return http.StatusNotFound, "expired_url"
	}
	if body.Text == "" && len(body.Blocks) == 0 && !body.DeleteOriginal {
		return http.StatusBadRequest, "no_text"
	}
	if len(body.Blocks) > 0 {
		var blocks []any
		if err := json.Unmarshal(body.Blocks, &blocks); err != nil {
			return http.StatusBadRequest, "invalid_blocks_format"
		}
		if len(validateBlocks(blocks, "/blocks", maxMessageBlocks)) > 0 {
			return http.StatusBadRequest, "invalid_blocks"
		}
	}
	t.uses++
	s.applyResponseLocked(t, body)
	return http.StatusOK, ""
}

// applyResponseLocked changes or posts the message a response describes.
// A URL made by ResponseURL has no channel, so nothing is stored for it.
func (s *Server) applyResponseLocked(t *responseTarget, body responseBody) {
	var original *message
	if t.messageTS != "" {
		original = s.web.messageIndex[messageKey{t.channel, t.messageTS}]
	}
	switch {
	case body.DeleteOriginal:
		if original != nil {
			s.deleteMessageLocked(original)
		}
	case body.ReplaceOriginal:
		if original != nil {
			original.Text = body.Text
			original.Blocks = nullToNil(body.Blocks)
			s.touchMessageLocked(original)
		}
	case t.channel != "":
		s.storeMessageLocked(Message{
			Channel:   t.channel,
			ThreadTS:  body.ThreadTS,
			Text:      body.Text,
			Blocks:    nullToNil(body.Blocks),
			Ephemeral: body.ResponseType != "in_channel",
			User:      ephemeralUser(body.ResponseType, t.user),
			Via:       "response_url",
		})
	}
}

func ephemeralUser(responseType, user string) string {
	if responseType == "in_channel" {
		return ""
	}
	return user
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}

func (s *Server) finishResponsePost(w http.ResponseWriter, post ResponsePost, status int, errCode string) {
	post.Error = errCode
	s.mu.Lock()
	s.web.responsePosts = append(s.web.responsePosts, post)
	s.notifyLocked()
	s.mu.Unlock()

	if status != http.StatusOK {
		http.Error(w, errCode, status)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ok": true})
}

// ResponseURLPosts returns every POST to a response URL, in order.
func (s *Server) ResponseURLPosts() []ResponsePost {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ResponsePost(nil), s.web.responsePosts...)
}

// WaitResponsePost waits until a POST to a response URL for which match
// returns true has been received, and returns it. A nil match accepts any
// post.
func (s *Server) WaitResponsePost(ctx context.Context, match func(ResponsePost) bool) (ResponsePost, error) {
	var found ResponsePost
	next := 0
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		fresh := append([]ResponsePost(nil), s.web.responsePosts[next:]...)
		next = len(s.web.responsePosts)
		s.mu.Unlock()
		for _, p := range fresh {
			if match == nil || match(p) {
				found = p
				return true
			}
		}
		return false
	})
	if err != nil {
		return ResponsePost{}, fmt.Errorf("wait for response URL post: %w", err)
	}
	return found, nil
}
