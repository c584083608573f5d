package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/slackapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Time limits of the checks that Check runs.
const (
	checkSlackTimeout = 15 * time.Second
	checkHelloTimeout = 10 * time.Second
	checkCoreTimeout  = 30 * time.Second
	checkStoreTimeout = 30 * time.Second
)

// check is one step of Check. It returns a detail for the ok line, or an
// error that names what failed and what to set.
type check struct {
	name string
	run  func(ctx context.Context, secrets *redactor) (detail string, err error)
}

// Check runs the bot's start-up checks once and writes one line per check
// to out: "ok  <check>: <detail>" or "FAIL <check>: <what failed and what
// to set>". It returns an error when any check failed, but runs every check
// even after a failure.
//
// The checks, in order: the settings; auth.test with the bot token; one
// Socket Mode connection with the app token (apps.connections.open, dial,
// wait for hello, close); a template list with the API key; and opening the
// store, which applies its schema migrations as a start would.
//
// Every line is written with the tokens, the API key and the password of
// DATABASE_URL replaced by "[redacted]".
//
// NOTE: while the check's Socket Mode connection is open (until hello),
// Slack may send it an envelope meant for a running bot. The check does not
// acknowledge it, so that command or click may fail for its user.
func Check(ctx context.Context, s config.Settings, out io.Writer) error {
	secrets := newRedactor(s)
	api := slackapi.New(s.SlackBotToken, s.SlackAppToken, s.SlackAPIURL, slackapi.Options{})
	checks := []check{
		{"settings", func(context.Context, *redactor) (string, error) { return "", s.Validate() }},
		{"auth.test", func(ctx context.Context, _ *redactor) (string, error) { return checkAuthTest(ctx, api) }},
		{"socket mode", func(ctx context.Context, secrets *redactor) (string, error) {
			return checkSocketMode(ctx, api, secrets)
		}},
		{"Core API key", func(ctx context.Context, _ *redactor) (string, error) { return checkTemplates(ctx, s) }},
		{"store", func(ctx context.Context, _ *redactor) (string, error) { return checkStore(ctx, s.DatabaseURL) }},
	}

	failed := 0
	for _, c := range checks {
		detail, err := c.run(ctx, secrets)
		line := "ok  " + c.name
		if err != nil {
			failed++
			line = "FAIL " + c.name + ": " + err.Error()
		} else if detail != "" {
			line += ": " + detail
		}
		if _, werr := fmt.Fprintln(out, secrets.redact(oneLine(line))); werr != nil {
			return fmt.Errorf("write check results: %w", werr)
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	return nil
}

// checkAuthTest calls auth.test once with the bot token.
func checkAuthTest(ctx context.Context, api *slack.Client) (string, error) {
	callCtx, cancel := context.WithTimeout(ctx, checkSlackTimeout)
	defer cancel()
	auth, err := api.AuthTestContext(callCtx)
	if err == nil {
		return fmt.Sprintf("team %s (%s), bot user %s", auth.Team, auth.TeamID, auth.UserID), nil
	}
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) && fatalAuthErrors[slackErr.Err] {
		return "", fmt.Errorf("SLACK_BOT_TOKEN was rejected by Slack (%s): set it to the bot token (xoxb-…) from OAuth & Permissions", slackErr.Err)
	}
	return "", fmt.Errorf("auth.test failed: %w: check SLACK_API_URL and that this host can reach it", err)
}

// appTokenErrors are apps.connections.open errors caused by the app-level
// token.
var appTokenErrors = map[string]bool{
	"invalid_auth": true, "not_authed": true, "missing_args": true, "account_inactive": true,
	"token_revoked": true, "token_expired": true, "not_allowed_token_type": true, "invalid_token": true,
}

// checkSocketMode opens one Socket Mode connection, waits for Slack's
// hello on it and closes it.
func checkSocketMode(ctx context.Context, api *slack.Client, secrets *redactor) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, checkSlackTimeout+checkHelloTimeout)
	defer cancel()

	_, wsURL, err := api.StartSocketModeContext(ctx)
	if err != nil {
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) && appTokenErrors[slackErr.Err] {
			return "", fmt.Errorf("apps.connections.open rejected SLACK_APP_TOKEN (%s): set it to an app-level token (xapp-…) with the connections:write scope, from Basic Information > App-Level Tokens", slackErr.Err)
		}
		return "", fmt.Errorf("apps.connections.open failed: %w: check SLACK_API_URL and that Socket Mode is turned on for the app", err)
	}
	// The URL carries a connection ticket; keep it out of every line.
	secrets.add(wsURL)
	if u, err := url.Parse(wsURL); err == nil && u.RawQuery != "" {
		secrets.add(u.RawQuery)
	}

	dialer := websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: checkSlackTimeout}
	ws, resp, err := dialer.DialContext(ctx, wsURL, http.Header{})
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return "", fmt.Errorf("dial the Socket Mode WebSocket: %w: allow this host to open WebSocket (wss://) connections to Slack", err)
	}
	defer func() {
		_ = ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		_ = ws.Close()
	}()

	connections, err := waitForHello(ws, time.Now().Add(checkHelloTimeout))
	if err != nil {
		return "", err
	}
	if connections == 1 {
		return "hello received; this is the app's only open connection", nil
	}
	return fmt.Sprintf("hello received; Slack counts %d open connections for this app, this one included", connections), nil
}

// waitForHello reads frames until Slack's hello and returns its
// num_connections.
func waitForHello(ws *websocket.Conn, deadline time.Time) (int, error) {
	if err := ws.SetReadDeadline(deadline); err != nil {
		return 0, fmt.Errorf("wait for hello: %w", err)
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return 0, fmt.Errorf("no hello from Slack within %s: %w", checkHelloTimeout, err)
		}
		var msg struct {
			Type           string `json:"type"`
			Reason         string `json:"reason"`
			NumConnections int    `json:"num_connections"`
		}
		if err := json.Unmarshal(data, &msg); err != nil {
			continue
		}
		switch {
		case msg.Type == "hello":
			return msg.NumConnections, nil
		case msg.Type == "disconnect" && msg.Reason == "link_disabled":
			return 0, errors.New("Slack closed the connection: Socket Mode is turned off for this app; turn it on under Socket Mode in the app settings")
		case msg.Type == "disconnect" && msg.Reason == "too_many_websockets":
			return 0, errors.New("Slack closed the connection: too many Socket Mode connections share SLACK_APP_TOKEN; stop the extra instances")
		}
	}
}

// checkTemplates lists templates with the API key.
func checkTemplates(ctx context.Context, s config.Settings) (string, error) {
	core, err := paperspace.NewClient(s.PaperspaceAPIURL, s.PaperspaceAPIKey)
	if err != nil {
		return "", fmt.Errorf("%w: set PAPERSPACE_API_URL and PAPERSPACE_API_KEY", err)
	}
	callCtx, cancel := context.WithTimeout(ctx, checkCoreTimeout)
	defer cancel()
	templates, err := core.ListTemplates(callCtx, paperspace.TemplateFilter{})
	if err != nil {
		if paperspace.IsInvalidAPIKey(err) {
			return "", fmt.Errorf("PAPERSPACE_API_KEY was rejected by the Core API (%w): set it to a valid API key of a team admin", err)
		}
		return "", fmt.Errorf("%w: check PAPERSPACE_API_URL (%s) and that this host can reach it", err, s.PaperspaceAPIURL)
	}
	return fmt.Sprintf("accepted; %d templates listed", len(templates)), nil
}

// checkStore opens the store, pings it and closes it.
func checkStore(ctx context.Context, databaseURL string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, checkStoreTimeout)
	defer cancel()
	db, err := store.Open(ctx, databaseURL)
	if err != nil {
		return "", err // store.Open names the database and what to set.
	}
	pingErr := db.Ping(ctx)
	closeErr := db.Close()
	if err := errors.Join(pingErr, closeErr); err != nil {
		return "", fmt.Errorf("%w: check DATABASE_URL", err)
	}
	return describeDatabase(databaseURL), nil
}

// describeDatabase names the database of a DATABASE_URL without its user
// name or password.
func describeDatabase(databaseURL string) string {
	lower := strings.ToLower(databaseURL)
	if strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://") {
		u, err := url.Parse(databaseURL)
		if err != nil {
			return "PostgreSQL"
		}
		return fmt.Sprintf("PostgreSQL database %s on %s", strings.TrimPrefix(u.Path, "/"), u.Host)
	}
	if databaseURL == "" {
		return "SQLite file " + store.DefaultSQLiteFile
	}
	return "SQLite database " + databaseURL
}

// redactor replaces secrets in text with "[redacted]".
type redactor struct {
	secrets []string
}

func newRedactor(s config.Settings) *redactor {
	r := &redactor{}
	r.add(s.SlackAppToken)
	r.add(s.SlackBotToken)
	r.add(s.PaperspaceAPIKey)
	if u, err := url.Parse(s.DatabaseURL); err == nil && u.User != nil {
		if password, ok := u.User.Password(); ok {
			r.add(password)
			r.add(url.QueryEscape(password))
			r.add(url.PathEscape(password))
		}
	}
	return r
}

// add adds a secret; an empty one is ignored.
func (r *redactor) add(secret string) {
	if secret != "" {
		r.secrets = append(r.secrets, secret)
	}
}

func (r *redactor) redact(text string) string {
	// Longer secrets first, so that one containing another is replaced
	// whole.
	secrets := slices.Clone(r.secrets)
	slices.SortFunc(secrets, func(a, b string) int { return len(b) - len(a) })
	for _, secret := range secrets {
		text = strings.ReplaceAll(text, secret, "[redacted]")
	}
	return text
}

// oneLine replaces line breaks, so that each check stays one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}
