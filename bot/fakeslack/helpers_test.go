package fakeslack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

// testTimeout bounds every wait in these tests. It is a deadline for
// failure, never a pause.
const testTimeout = 10 * time.Second

func newServer(t *testing.T, opts ...fakeslack.Option) *fakeslack.Server {
	t.Helper()
	s := fakeslack.New(append([]fakeslack.Option{fakeslack.WithLogf(t.Logf)}, opts...)...)
	t.Cleanup(s.Close)
	return s
}

func newClient(s *fakeslack.Server) *slack.Client {
	return slack.New(s.BotToken(), slack.OptionAPIURL(s.APIURL()), slack.OptionAppLevelToken(s.AppToken()))
}

func testContext(t testing.TB) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// slackErr returns the Web API error code in err, or "" when err is not
// an ok:false response.
func slackErr(err error) string {
	if e, ok := err.(slack.SlackErrorResponse); ok {
		return e.Err
	}
	return ""
}

// postForm sends a raw form request to a Web API method and decodes the
// JSON response.
func postForm(t *testing.T, s *fakeslack.Server, method string, form url.Values) map[string]any {
	t.Helper()
	resp, err := http.PostForm(s.APIURL()+method, form)
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode %s response: %v", method, err)
	}
	return body
}

// postJSON sends a raw JSON request with a Bearer token and decodes the
// JSON response.
func postJSON(t *testing.T, s *fakeslack.Server, method, token string, body any) map[string]any {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatalf("encode %s body: %v", method, err)
	}
	req, err := http.NewRequest(http.MethodPost, s.APIURL()+method, strings.NewReader(string(data)))
	if err != nil {
		t.Fatalf("build %s request: %v", method, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", method, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode %s response: %v", method, err)
	}
	return out
}

// rawSocket is a bare gorilla/websocket client of the fake, for tests that
// need to see frames exactly.
type rawSocket struct {
	conn  *websocket.Conn
	hello map[string]any
}

// dialRaw opens a Socket Mode connection through apps.connections.open and
// reads the hello message.
func dialRaw(t testing.TB, s *fakeslack.Server) *rawSocket {
	t.Helper()
	_, wsURL, err := newClient(s).StartSocketModeContext(testContext(t))
	if err != nil {
		t.Fatalf("apps.connections.open: %v", err)
	}
	conn, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", wsURL, err)
	}
	t.Cleanup(func() { conn.Close() })
	r := &rawSocket{conn: conn}
	r.hello = r.read(t)
	return r
}

// read reads one data frame as a JSON object.
func (r *rawSocket) read(t testing.TB) map[string]any {
	t.Helper()
	if err := r.conn.SetReadDeadline(time.Now().Add(testTimeout)); err != nil {
		t.Fatalf("set read deadline: %v", err)
	}
	_, data, err := r.conn.ReadMessage()
	if err != nil {
		t.Fatalf("read frame: %v", err)
	}
	var msg map[string]any
	if err := json.Unmarshal(data, &msg); err != nil {
		t.Fatalf("decode frame %s: %v", data, err)
	}
	return msg
}

// ack sends an ack for envelopeID with an optional payload.
func (r *rawSocket) ack(t *testing.T, envelopeID string, payload any) {
	t.Helper()
	msg := map[string]any{"envelope_id": envelopeID}
	if payload != nil {
		msg["payload"] = payload
	}
	if err := r.conn.WriteJSON(msg); err != nil {
		t.Fatalf("write ack: %v", err)
	}
}

// modal returns a minimal valid modal view with the given blocks.
func modal(callbackID string, blocks ...map[string]any) map[string]any {
	if blocks == nil {
		blocks = []map[string]any{section("hello")}
	}
	v := map[string]any{
		"type":        "modal",
		"callback_id": callbackID,
		"title":       plain("Create machine"),
		"blocks":      blocks,
	}
	for _, b := range blocks {
		if b["type"] == "input" {
			v["submit"] = plain("Create")
		}
	}
	return v
}

func plain(text string) map[string]any {
	return map[string]any{"type": "plain_text", "text": text}
}

func section(text string) map[string]any {
	return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
}

func input(blockID string) map[string]any {
	return map[string]any{
		"type":     "input",
		"block_id": blockID,
		"label":    plain(blockID),
		"element":  map[string]any{"type": "plain_text_input", "action_id": blockID},
	}
}

// decodeView decodes a view's JSON into slack-go's View.
func decodeView(t *testing.T, raw json.RawMessage) slack.View {
	t.Helper()
	var v slack.View
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("decode view %s: %v", raw, err)
	}
	return v
}

// field is one checked value: its name, the value the test got and the
// value it wants.
type field struct {
	name      string
	got, want any
}

// checkFields reports every field whose got differs from want.
func checkFields(t testing.TB, fields ...field) {
	t.Helper()
	for _, f := range fields {
		if f.got != f.want {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}
