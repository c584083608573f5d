package app_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/app"
	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
	"github.com/paperspace-bot/paperspace-bot/config"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// Secrets the fakes accept; no check line may contain them.
const (
	botToken = "xoxb-check-bot-0123456789"
	appToken = "xapp-1-check-app-0123456789"
	apiKey   = "check-api-key-0123456789"
)

// checkFakes starts a fake Slack and a fake Core API that accept the
// test's secrets, and returns settings that point at them.
func checkFakes(t *testing.T) (*fakeslack.Server, *fakecoreapi.Server, config.Settings) {
	t.Helper()
	slackServer := fakeslack.New(fakeslack.WithBotToken(botToken), fakeslack.WithAppToken(appToken))
	t.Cleanup(slackServer.Close)
	core := fakecoreapi.New(fakecoreapi.WithAPIKey(apiKey))
	t.Cleanup(core.Close)
	s := config.Settings{
		SlackAppToken:    appToken,
		SlackBotToken:    botToken,
		SlackAPIURL:      slackServer.APIURL(),
		SlackCommand:     "/paperspace",
		PaperspaceAPIKey: apiKey,
		PaperspaceAPIURL: core.URL(),
		AdminUserIDs:     []string{"U_ADMIN"},
		DatabaseURL:      filepath.Join(t.TempDir(), "bot.db"),
		HTTPAddr:         "off",
		LogLevel:         "info",
		LogFormat:        "json",
		CreateTimeout:    time.Minute,
		RequestExpiry:    time.Hour,
		WatchInterval:    time.Second,
		WatchTimeout:     time.Minute,
		ShutdownTimeout:  time.Minute,
		Replicas:         1,
	}
	return slackServer, core, s
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		// change breaks something before the check runs.
		change func(t *testing.T, slackServer *fakeslack.Server, core *fakecoreapi.Server, s *config.Settings)
		// want is the expected prefix of each line, in order.
		want    []string
		wantErr bool
	}{
		{
			name: "all pass",
			want: []string{
				"ok  settings",
				"ok  auth.test: team ",
				"ok  socket mode: hello received; this is the app's only open connection",
				"ok  Core API key: accepted; 3 templates listed",
				"ok  store: SQLite database ",
			},
		},
		{
			name: "bot token rejected",
			change: func(_ *testing.T, _ *fakeslack.Server, _ *fakecoreapi.Server, s *config.Settings) {
				s.SlackBotToken = "xoxb-wrong-0123456789"
			},
			want: []string{
				"ok  settings",
				"FAIL auth.test: SLACK_BOT_TOKEN was rejected by Slack (invalid_auth): set it to the bot token",
				"ok  socket mode",
				"ok  Core API key",
				"ok  store",
			},
			wantErr: true,
		},
		{
			name: "app token rejected",
			change: func(_ *testing.T, slackServer *fakeslack.Server, _ *fakecoreapi.Server, _ *config.Settings) {
				slackServer.RejectConnections("invalid_auth")
			},
			want: []string{
				"ok  settings",
				"ok  auth.test",
				"FAIL socket mode: apps.connections.open rejected SLACK_APP_TOKEN (invalid_auth): set it to an app-level token",
				"ok  Core API key",
				"ok  store",
			},
			wantErr: true,
		},
		{
			name: "API key rejected",
			change: func(_ *testing.T, _ *fakeslack.Server, _ *fakecoreapi.Server, s *config.Settings) {
				s.PaperspaceAPIKey = "wrong-key-0123456789"
			},
			want: []string{
				"ok  settings",
				"ok  auth.test",
				"ok  socket mode",
				"FAIL Core API key: PAPERSPACE_API_KEY was rejected by the Core API",
				"ok  store",
			},
			wantErr: true,
		},
		{
			name: "Core API unreachable",
			change: func(_ *testing.T, _ *fakeslack.Server, core *fakecoreapi.Server, _ *config.Settings) {
				core.Close()
			},
			want: []string{
				"ok  settings",
				"ok  auth.test",
				"ok  socket mode",
				"FAIL Core API key: list templates: GET /templates/getTemplates: ",
				"ok  store",
			},
			wantErr: true,
		},
		{
			name: "Slack unreachable",
			change: func(_ *testing.T, slackServer *fakeslack.Server, _ *fakecoreapi.Server, _ *config.Settings) {
				slackServer.Close()
			},
			want: []string{
				"ok  settings",
				"FAIL auth.test: auth.test failed: ",
				"FAIL socket mode: apps.connections.open failed: ",
				"ok  Core API key",
				"ok  store",
			},
			wantErr: true,
		},
		{
			name: "store folder missing",
			change: func(t *testing.T, _ *fakeslack.Server, _ *fakecoreapi.Server, s *config.Settings) {
				s.DatabaseURL = filepath.Join(t.TempDir(), "missing", "bot.db")
			},
			want: []string{
				"ok  settings",
				"ok  auth.test",
				"ok  socket mode",
				"ok  Core API key",
				"FAIL store: open store: folder ",
			},
			wantErr: true,
		},
		{
			name: "settings invalid",
			change: func(_ *testing.T, _ *fakeslack.Server, _ *fakecoreapi.Server, s *config.Settings) {
				s.AdminUserIDs = nil
			},
			want: []string{
				"FAIL settings: no admin source is set: set ADMIN_USER_IDS",
				"ok  auth.test",
				"ok  socket mode",
				"ok  Core API key",
				"ok  store",
			},
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slackServer, core, s := checkFakes(t)
			if tt.change != nil {
				tt.change(t, slackServer, core, &s)
			}
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()

			err := app.Check(ctx, s, &out)
			t.Logf("output:\n%s", out.String())
			if gotErr := err != nil; gotErr != tt.wantErr {
				t.Errorf("Check error = %v, want error %v", err, tt.wantErr)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("output has %d lines, want %d:\n%s", len(lines), len(tt.want), out.String())
			}
			for i, want := range tt.want {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("line %d = %q, want it to start with %q", i+1, lines[i], want)
				}
			}
			for _, secret := range []string{botToken, appToken, apiKey, s.SlackBotToken, s.PaperspaceAPIKey} {
				if strings.Contains(out.String(), secret) {
					t.Errorf("output contains the secret %q:\n%s", secret, out.String())
				}
			}
		})
	}
}

func TestCheckClosesSocketConnection(t *testing.T) {
	slackServer, _, s := checkFakes(t)
	var out bytes.Buffer
	if err := app.Check(context.Background(), s, &out); err != nil {
		t.Fatalf("Check: %v\n%s", err, out.String())
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := slackServer.WaitConnections(ctx, 0); err != nil {
		t.Errorf("Socket Mode connection still open after the check: %v", err)
	}
	if got := slackServer.TotalConnections(); got != 1 {
		t.Errorf("connections opened = %d, want 1", got)
	}
	if got := len(slackServer.CallsTo("auth.test")); got != 1 {
		t.Errorf("auth.test calls = %d, want 1", got)
	}
}

func TestCheckRedactsDatabasePassword(t *testing.T) {
	_, _, s := checkFakes(t)
	// Nothing listens on port 1, so the store check fails quickly; its
	// line must not show the password, raw or escaped.
	s.DatabaseURL = "postgres://bot:s3cret%2Fpass@127.0.0.1:1/paperspace?connect_timeout=2"
	var out bytes.Buffer
	if err := app.Check(context.Background(), s, &out); err == nil {
		t.Fatalf("Check succeeded against a closed port:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "FAIL store: ") {
		t.Errorf("output has no failed store line:\n%s", out.String())
	}
	for _, secret := range []string{"s3cret/pass", "s3cret%2Fpass"} {
		if strings.Contains(out.String(), secret) {
			t.Errorf("output contains the database password as %q:\n%s", secret, out.String())
		}
	}
}
