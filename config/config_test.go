package config_test

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/paperspace-bot/paperspace-bot/config"
)

// Tokens and a key of the right kinds; the values are made up.
const (
	appToken = "xapp-1-A0TEST-1234-abcdef"
	botToken = "xoxb-1234-5678-abcdefgh"
	apiKey   = "0123456789abcdef0123456789abcdef"
)

// variables lists every environment variable that Load reads.
var variables = []string{
	"SLACK_APP_TOKEN", "SLACK_BOT_TOKEN", "SLACK_API_URL", "SLACK_COMMAND",
	"PAPERSPACE_API_KEY", "PAPERSPACE_API_URL", "PAPERSPACE_TEAM_ID", "PAPERSPACE_CREATE_TIMEOUT",
	"ADMIN_USER_IDS", "ADMIN_USERGROUP_IDS", "ADMIN_INCLUDE_WORKSPACE_ADMINS", "APPROVAL_CHANNEL_ID",
	"REQUEST_EXPIRY", "DATABASE_URL", "WATCH_INTERVAL", "WATCH_TIMEOUT", "HTTP_ADDR", "LOG_LEVEL",
	"LOG_FORMAT", "DRY_RUN", "SHUTDOWN_TIMEOUT", "REPLICAS", "INSTANCE_ID",
}

// setEnv unsets every variable Load reads, then sets the given ones. The
// environment is restored when the test ends.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range variables {
		t.Setenv(name, "")
		if err := os.Unsetenv(name); err != nil {
			t.Fatal(err)
		}
	}
	for name, value := range env {
		t.Setenv(name, value)
	}
}

// required returns the settings without a default, with valid values,
// plus the given ones.
func required(extra map[string]string) map[string]string {
	env := map[string]string{
		"SLACK_APP_TOKEN":    appToken,
		"SLACK_BOT_TOKEN":    botToken,
		"PAPERSPACE_API_KEY": apiKey,
		"ADMIN_USER_IDS":     "U012ABCDEF",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestLoadDefaults(t *testing.T) {
	setEnv(t, required(nil))
	s, err := config.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}

	host, _ := os.Hostname()
	tests := []struct {
		variable string
		got      any
		want     any
	}{
		{"SLACK_API_URL", s.SlackAPIURL, "https://slack.com/api/"},
		{"SLACK_COMMAND", s.SlackCommand, "/paperspace"},
		{"PAPERSPACE_API_URL", s.PaperspaceAPIURL, "https://api.paperspace.com"},
		{"PAPERSPACE_TEAM_ID", s.PaperspaceTeamID, ""},
		{"PAPERSPACE_CREATE_TIMEOUT", s.CreateTimeout, 60 * time.Second},
		{"ADMIN_USERGROUP_IDS", s.AdminUsergroupIDs, []string(nil)},
		{"ADMIN_INCLUDE_WORKSPACE_ADMINS", s.AdminIncludeWorkspaceAdmins, false},
		{"APPROVAL_CHANNEL_ID", s.ApprovalChannelID, ""},
		{"REQUEST_EXPIRY", s.RequestExpiry, 168 * time.Hour},
		{"DATABASE_URL", s.DatabaseURL, ""},
		{"WATCH_INTERVAL", s.WatchInterval, 10 * time.Second},
		{"WATCH_TIMEOUT", s.WatchTimeout, 20 * time.Minute},
		{"HTTP_ADDR", s.HTTPAddr, ":8080"},
		{"LOG_LEVEL", s.LogLevel, "info"},
		{"LOG_FORMAT", s.LogFormat, "json"},
		{"DRY_RUN", s.DryRun, false},
		{"SHUTDOWN_TIMEOUT", s.ShutdownTimeout, 90 * time.Second},
		{"REPLICAS", s.Replicas, 1},
		{"INSTANCE_ID", s.InstanceID, host + "-" + strconv.Itoa(os.Getpid())},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.variable, tt.got, tt.want)
			}
		})
	}
	if got := s.Level(); got != zerolog.InfoLevel {
		t.Errorf("Level() = %v, want info", got)
	}
	if !s.HTTPEnabled() {
		t.Error("HTTPEnabled() = false, want true")
	}
}

func TestLoadValues(t *testing.T) {
	setEnv(t, map[string]string{
		"SLACK_APP_TOKEN":                " " + appToken + " ",
		"SLACK_BOT_TOKEN":                botToken + "\n",
		"SLACK_API_URL":                  "https://slack-gov.com/api",
		"SLACK_COMMAND":                  "/machines",
		"PAPERSPACE_API_KEY":             " " + apiKey,
		"PAPERSPACE_API_URL":             "http://127.0.0.1:9000/core/",
		"PAPERSPACE_TEAM_ID":             "te456def",
		"PAPERSPACE_CREATE_TIMEOUT":      "2m",
		"ADMIN_USER_IDS":                 " U1 ,U2,, ",
		"ADMIN_USERGROUP_IDS":            "S1",
		"ADMIN_INCLUDE_WORKSPACE_ADMINS": "true",
		"APPROVAL_CHANNEL_ID":            " C_APPROVALS ",
		"REQUEST_EXPIRY":                 "24h",
		"DATABASE_URL":                   "postgres://bot@db/bot",
		"WATCH_INTERVAL":                 "5s",
		"WATCH_TIMEOUT":                  "1h",
		"HTTP_ADDR":                      "off",
		"LOG_LEVEL":                      " DEBUG ",
		"LOG_FORMAT":                     "Console",
		"DRY_RUN":                        "true",
		"SHUTDOWN_TIMEOUT":               "30s",
		"REPLICAS":                       "3",
		"INSTANCE_ID":                    "bot-a",
	})
	got, err := config.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := config.Settings{
		SlackAppToken:               appToken,
		SlackBotToken:               botToken,
		SlackAPIURL:                 "https://slack-gov.com/api/",
		SlackCommand:                "/machines",
		PaperspaceAPIKey:            apiKey,
		PaperspaceAPIURL:            "http://127.0.0.1:9000/core",
		PaperspaceTeamID:            "te456def",
		CreateTimeout:               2 * time.Minute,
		AdminUserIDs:                []string{"U1", "U2"},
		AdminUsergroupIDs:           []string{"S1"},
		AdminIncludeWorkspaceAdmins: true,
		ApprovalChannelID:           "C_APPROVALS",
		RequestExpiry:               24 * time.Hour,
		DatabaseURL:                 "postgres://bot@db/bot",
		WatchInterval:               5 * time.Second,
		WatchTimeout:                time.Hour,
		HTTPAddr:                    "off",
		LogLevel:                    "debug",
		LogFormat:                   "console",
		DryRun:                      true,
		ShutdownTimeout:             30 * time.Second,
		Replicas:                    3,
		InstanceID:                  "bot-a",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load() =\n%+v\nwant\n%+v", got, want)
	}
	if got.HTTPEnabled() {
		t.Error("HTTPEnabled() = true for HTTP_ADDR=off, want false")
	}
	if got.Level() != zerolog.DebugLevel {
		t.Errorf("Level() = %v, want debug", got.Level())
	}
}

// valid returns settings that pass Validate.
func valid() config.Settings {
	return config.Settings{
		SlackAppToken:    appToken,
		SlackBotToken:    botToken,
		SlackAPIURL:      "https://slack.com/api/",
		SlackCommand:     "/paperspace",
		PaperspaceAPIKey: apiKey,
		PaperspaceAPIURL: "https://api.paperspace.com",
		CreateTimeout:    time.Minute,
		AdminUserIDs:     []string{"U1"},
		RequestExpiry:    time.Hour,
		WatchInterval:    time.Second,
		WatchTimeout:     time.Minute,
		LogLevel:         "info",
		LogFormat:        "json",
		ShutdownTimeout:  time.Minute,
		Replicas:         1,
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name   string
		change func(*config.Settings)
		want   string
	}{
		{"valid", func(*config.Settings) {}, ""},
		{"app token missing", func(s *config.Settings) { s.SlackAppToken = "" },
			"SLACK_APP_TOKEN is not set: set it to the app-level token (xapp-…) from Basic Information > App-Level Tokens, with the connections:write scope"},
		{"bot token missing", func(s *config.Settings) { s.SlackBotToken = "" },
			"SLACK_BOT_TOKEN is not set: set it to the bot token (xoxb-…) from OAuth & Permissions"},
		{"app token not a token", func(s *config.Settings) { s.SlackAppToken = "hunter2" },
			"SLACK_APP_TOKEN does not look like a Slack token: set it to the app-level token (xapp-…) from Basic Information > App-Level Tokens, with the connections:write scope"},
		{"api key missing", func(s *config.Settings) { s.PaperspaceAPIKey = "" },
			"PAPERSPACE_API_KEY is not set: set it to a Paperspace API key of a team admin"},
		{"slack url scheme", func(s *config.Settings) { s.SlackAPIURL = "ftp://slack.com/api/" },
			`SLACK_API_URL is invalid ("ftp://slack.com/api/"): set it to an http or https URL`},
		{"slack url empty", func(s *config.Settings) { s.SlackAPIURL = "" },
			`SLACK_API_URL is invalid (""): set it to an http or https URL`},
		{"core url no host", func(s *config.Settings) { s.PaperspaceAPIURL = "https://" },
			`PAPERSPACE_API_URL is invalid ("https://"): set it to an http or https URL`},
		{"command without slash", func(s *config.Settings) { s.SlackCommand = "paperspace" },
			`SLACK_COMMAND is invalid ("paperspace"): set it to the slash command the app registers, such as /paperspace`},
		{"command with space", func(s *config.Settings) { s.SlackCommand = "/paper space" },
			`SLACK_COMMAND is invalid ("/paper space"): set it to the slash command the app registers, such as /paperspace`},
		{"command slash only", func(s *config.Settings) { s.SlackCommand = "/" },
			`SLACK_COMMAND is invalid ("/"): set it to the slash command the app registers, such as /paperspace`},
		{"no admin source", func(s *config.Settings) { s.AdminUserIDs = nil },
			"no admin source is set: set ADMIN_USER_IDS (Slack user ids), ADMIN_USERGROUP_IDS (Slack user group ids) or ADMIN_INCLUDE_WORKSPACE_ADMINS=true"},
		{"usergroup is a source", func(s *config.Settings) { s.AdminUserIDs, s.AdminUsergroupIDs = nil, []string{"S1"} }, ""},
		{"workspace admins are a source", func(s *config.Settings) { s.AdminUserIDs, s.AdminIncludeWorkspaceAdmins = nil, true }, ""},
		{"log level", func(s *config.Settings) { s.LogLevel = "verbose" },
			`LOG_LEVEL is invalid ("verbose"): set it to trace, debug, info, warn or error`},
		{"log level empty", func(s *config.Settings) { s.LogLevel = "" },
			`LOG_LEVEL is invalid (""): set it to trace, debug, info, warn or error`},
		{"log format", func(s *config.Settings) { s.LogFormat = "text" },
			`LOG_FORMAT is invalid ("text"): set it to json or console`},
		{"create timeout", func(s *config.Settings) { s.CreateTimeout = 0 },
			"PAPERSPACE_CREATE_TIMEOUT must be a positive duration such as 90s or 10m, not 0s"},
		{"request expiry", func(s *config.Settings) { s.RequestExpiry = -time.Hour },
			"REQUEST_EXPIRY must be a positive duration such as 90s or 10m, not -1h0m0s"},
		{"watch interval", func(s *config.Settings) { s.WatchInterval = 0 },
			"WATCH_INTERVAL must be a positive duration such as 90s or 10m, not 0s"},
		{"watch timeout", func(s *config.Settings) { s.WatchTimeout = 0 },
			"WATCH_TIMEOUT must be a positive duration such as 90s or 10m, not 0s"},
		{"shutdown timeout", func(s *config.Settings) { s.ShutdownTimeout = 0 },
			"SHUTDOWN_TIMEOUT must be a positive duration such as 90s or 10m, not 0s"},
		{"replicas", func(s *config.Settings) { s.Replicas = 0 }, "REPLICAS must be 1 or more, not 0"},
		{"two problems", func(s *config.Settings) { s.Replicas, s.LogFormat = 0, "text" },
			`LOG_FORMAT is invalid ("text"): set it to json or console; REPLICAS must be 1 or more, not 0`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.change(&s)
			err := s.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestWrongKindOfToken covers tokens that are swapped or of the wrong
// kind. The bot must stop with one line that names each variable holding
// the wrong kind, and never echo a token.
func TestWrongKindOfToken(t *testing.T) {
	const (
		userToken     = "xoxp-1111-2222-secretuser"
		rotationToken = "xoxe-1-secretrotation"
	)
	tests := []struct {
		name     string
		app, bot string
		want     []string
		// clean names variables that the message must not blame.
		clean []string
	}{
		{"swapped", botToken, appToken, []string{
			"SLACK_APP_TOKEN holds a bot token (xoxb-…), the wrong kind",
			"SLACK_BOT_TOKEN holds an app-level token (xapp-…), the wrong kind",
		}, nil},
		{"bot token twice", botToken, botToken, []string{"SLACK_APP_TOKEN holds a bot token (xoxb-…), the wrong kind"},
			[]string{"SLACK_BOT_TOKEN"}},
		{"app token twice", appToken, appToken, []string{"SLACK_BOT_TOKEN holds an app-level token (xapp-…), the wrong kind"},
			[]string{"SLACK_APP_TOKEN"}},
		{"user token as bot", appToken, userToken, []string{"SLACK_BOT_TOKEN holds a user token (xoxp-…), the wrong kind"},
			[]string{"SLACK_APP_TOKEN"}},
		{"rotation token as app", rotationToken, botToken, []string{"SLACK_APP_TOKEN holds a token-rotation token (xoxe-…), the wrong kind"},
			[]string{"SLACK_BOT_TOKEN"}},
		{"bearer prefix", appToken, "Bearer " + botToken, []string{"SLACK_BOT_TOKEN does not look like a Slack token"},
			[]string{"SLACK_APP_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, required(map[string]string{"SLACK_APP_TOKEN": tt.app, "SLACK_BOT_TOKEN": tt.bot}))
			_, err := config.Load()
			if err == nil {
				t.Fatal("Load() = nil error, want the wrong kind of token reported")
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") {
				t.Errorf("message %q spans several lines, want one", msg)
			}
			for _, want := range tt.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q does not contain %q", msg, want)
				}
			}
			for _, name := range tt.clean {
				if strings.Contains(msg, name+" ") {
					t.Errorf("message %q blames %s, which holds the right kind", msg, name)
				}
			}
			for _, secret := range []string{appToken, botToken, userToken, rotationToken, "secret"} {
				if strings.Contains(msg, secret) {
					t.Errorf("message %q contains a token", msg)
				}
			}
		})
	}
}

func TestLoadParseErrors(t *testing.T) {
	tests := []struct {
		variable string
		value    string
		want     string
	}{
		{"REPLICAS", "two", `REPLICAS is invalid ("two"): set it to a whole number`},
		{"WATCH_INTERVAL", "10", `WATCH_INTERVAL is invalid ("10"): set it to a duration such as 90s, 10m or 168h`},
		{"REQUEST_EXPIRY", "7d", `REQUEST_EXPIRY is invalid ("7d"): set it to a duration such as 90s, 10m or 168h`},
		{"DRY_RUN", "maybe", `DRY_RUN is invalid ("maybe"): set it to true or false`},
		{"ADMIN_INCLUDE_WORKSPACE_ADMINS", "yes", `ADMIN_INCLUDE_WORKSPACE_ADMINS is invalid ("yes"): set it to true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.variable, func(t *testing.T) {
			setEnv(t, required(map[string]string{tt.variable: tt.value}))
			_, err := config.Load()
			if err == nil {
				t.Fatalf("Load() = nil error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Load() error = %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestIsAdminSourceSet(t *testing.T) {
	tests := []struct {
		name string
		s    config.Settings
		want bool
	}{
		{"none", config.Settings{}, false},
		{"users", config.Settings{AdminUserIDs: []string{"U1"}}, true},
		{"groups", config.Settings{AdminUsergroupIDs: []string{"S1"}}, true},
		{"workspace admins", config.Settings{AdminIncludeWorkspaceAdmins: true}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.IsAdminSourceSet(); got != tt.want {
				t.Errorf("IsAdminSourceSet() = %v, want %v", got, tt.want)
			}
		})
	}
}
