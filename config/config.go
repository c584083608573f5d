// Package config reads the bot's settings from environment variables, in
// one place, and rejects a missing or malformed setting with a message that
// names the variable and what to set.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/kelseyhightower/envconfig"
	"github.com/rs/zerolog"
)

// Settings are the bot's settings. The envconfig tag of each field is the
// environment variable that sets it; README.md lists them all.
type Settings struct {
	// SlackAppToken is the app-level token (xapp-…) with connections:write,
	// used to open Socket Mode connections.
	SlackAppToken string `envconfig:"SLACK_APP_TOKEN"`
	// SlackBotToken is the bot token (xoxb-…) used for every Web API call.
	SlackBotToken string `envconfig:"SLACK_BOT_TOKEN"`
	// SlackAPIURL is the Web API base URL; it always ends with a slash.
	SlackAPIURL string `envconfig:"SLACK_API_URL" default:"https://slack.com/api/"`
	// SlackCommand is the slash command the app registers.
	SlackCommand string `envconfig:"SLACK_COMMAND" default:"/paperspace"`

	// PaperspaceAPIKey is the Core API key, sent as x-api-key.
	PaperspaceAPIKey string `envconfig:"PAPERSPACE_API_KEY"`
	// PaperspaceAPIURL is the Core API base URL.
	PaperspaceAPIURL string `envconfig:"PAPERSPACE_API_URL" default:"https://api.paperspace.com"`
	// PaperspaceTeamID is sent as teamId with each create when set.
	PaperspaceTeamID string `envconfig:"PAPERSPACE_TEAM_ID"`
	// CreateTimeout bounds one create call. When it passes, the outcome
	// is unknown and the bot looks the machine up instead of retrying.
	CreateTimeout time.Duration `envconfig:"PAPERSPACE_CREATE_TIMEOUT" default:"60s"`

	// AdminUserIDs are Slack user ids allowed to create and approve.
	AdminUserIDs []string `envconfig:"ADMIN_USER_IDS"`
	// AdminUsergroupIDs are Slack user groups whose members are admins.
	AdminUsergroupIDs []string `envconfig:"ADMIN_USERGROUP_IDS"`
	// AdminIncludeWorkspaceAdmins makes workspace admins and owners admins.
	AdminIncludeWorkspaceAdmins bool `envconfig:"ADMIN_INCLUDE_WORKSPACE_ADMINS" default:"false"`
	// ApprovalChannelID is the channel that member requests go to. Empty
	// disables requests.
	ApprovalChannelID string `envconfig:"APPROVAL_CHANNEL_ID"`
	// RequestExpiry is how long a member's request waits for a decision.
	RequestExpiry time.Duration `envconfig:"REQUEST_EXPIRY" default:"168h"`

	// DatabaseURL selects the store: empty for a SQLite file in the
	// working folder, postgres://… to share state between replicas.
	DatabaseURL string `envconfig:"DATABASE_URL"`

	// WatchInterval is how often the bot polls a new machine's state.
	WatchInterval time.Duration `envconfig:"WATCH_INTERVAL" default:"10s"`
	// WatchTimeout is how long the bot waits for a new machine to be ready.
	WatchTimeout time.Duration `envconfig:"WATCH_TIMEOUT" default:"20m"`

	// HTTPAddr is the listen address of /healthz, /readyz and /metrics;
	// "off" disables the listener.
	HTTPAddr string `envconfig:"HTTP_ADDR" default:":8080"`
	// LogLevel is a zerolog level: trace, debug, info, warn or error.
	LogLevel string `envconfig:"LOG_LEVEL" default:"info"`
	// LogFormat is json, or console for a readable terminal form.
	LogFormat string `envconfig:"LOG_FORMAT" default:"json"`
	// DryRun validates and posts everything but never calls the create
	// endpoint.
	DryRun bool `envconfig:"DRY_RUN" default:"false"`
	// ShutdownTimeout bounds how long a stopping bot waits for the creates
	// in flight to finish.
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"90s"`
	// Replicas is how many bot processes this deployment runs on the app
	// token. Slack reporting more connections than that means another
	// instance elsewhere takes a share of the events.
	Replicas int `envconfig:"REPLICAS" default:"1"`
	// InstanceID names this process in the store's leases and audit rows;
	// the default is the host name and process id.
	InstanceID string `envconfig:"INSTANCE_ID"`
}

// Load reads the settings from the environment and validates them. Its
// error is one line that names each bad variable and what to set.
func Load() (Settings, error) {
	var s Settings
	if err := envconfig.Process("", &s); err != nil {
		return Settings{}, describeParseError(err)
	}
	s.normalize()
	if err := s.Validate(); err != nil {
		return Settings{}, err
	}
	return s, nil
}

// describeParseError rewrites envconfig's error into one line naming the
// variable and the expected form. Values are echoed only for settings that
// cannot hold a secret, and all settings that envconfig converts are such.
func describeParseError(err error) error {
	var parseErr *envconfig.ParseError
	if !errors.As(err, &parseErr) {
		return fmt.Errorf("read settings: %w", err)
	}
	expected := map[string]string{
		"bool":          "true or false",
		"time.Duration": "a duration such as 90s, 10m or 168h",
		"int":           "a whole number",
	}[parseErr.TypeName]
	if expected == "" {
		expected = "a value of type " + parseErr.TypeName
	}
	return fmt.Errorf("%s is invalid (%q): set it to %s", parseErr.KeyName, parseErr.Value, expected)
}

func (s *Settings) normalize() {
	s.SlackAppToken = strings.TrimSpace(s.SlackAppToken)
	s.SlackBotToken = strings.TrimSpace(s.SlackBotToken)
	s.PaperspaceAPIKey = strings.TrimSpace(s.PaperspaceAPIKey)
	s.SlackAPIURL = strings.TrimSpace(s.SlackAPIURL)
	if s.SlackAPIURL != "" && !strings.HasSuffix(s.SlackAPIURL, "/") {
		s.SlackAPIURL += "/"
	}
	s.PaperspaceAPIURL = strings.TrimRight(strings.TrimSpace(s.PaperspaceAPIURL), "/")
	s.AdminUserIDs = cleanList(s.AdminUserIDs)
	s.AdminUsergroupIDs = cleanList(s.AdminUsergroupIDs)
	s.ApprovalChannelID = strings.TrimSpace(s.ApprovalChannelID)
	s.LogLevel = strings.ToLower(strings.TrimSpace(s.LogLevel))
	s.LogFormat = strings.ToLower(strings.TrimSpace(s.LogFormat))
	s.HTTPAddr = strings.TrimSpace(s.HTTPAddr)
	if s.HTTPAddr == "" {
		// A variable set to "" skips envconfig's default; "off" is the way
		// to turn the listener off.
		s.HTTPAddr = DefaultHTTPAddr
	}
	if s.InstanceID == "" {
		host, _ := os.Hostname()
		s.InstanceID = host + "-" + strconv.Itoa(os.Getpid())
	}
}

func cleanList(items []string) []string {
	var out []string
	for _, item := range items {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// Validate checks every setting and returns one error line listing each
// problem, or nil.
func (s Settings) Validate() error {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	if msg := checkToken("SLACK_APP_TOKEN", s.SlackAppToken, "xapp-", "the app-level token (xapp-…) from Basic Information > App-Level Tokens, with the connections:write scope"); msg != "" {
		add("%s", msg)
	}
	if msg := checkToken("SLACK_BOT_TOKEN", s.SlackBotToken, "xoxb-", "the bot token (xoxb-…) from OAuth & Permissions"); msg != "" {
		add("%s", msg)
	}
	if s.PaperspaceAPIKey == "" {
		add("PAPERSPACE_API_KEY is not set: set it to a Paperspace API key of a team admin")
	}
	if msg := checkURL("SLACK_API_URL", s.SlackAPIURL); msg != "" {
		add("%s", msg)
	}
	if msg := checkURL("PAPERSPACE_API_URL", s.PaperspaceAPIURL); msg != "" {
		add("%s", msg)
	}
	if !strings.HasPrefix(s.SlackCommand, "/") || len(s.SlackCommand) < 2 || strings.ContainsAny(s.SlackCommand, " \t") {
		add("SLACK_COMMAND is invalid (%q): set it to the slash command the app registers, such as /paperspace", s.SlackCommand)
	}
	if len(s.AdminUserIDs) == 0 && len(s.AdminUsergroupIDs) == 0 && !s.AdminIncludeWorkspaceAdmins {
		add("no admin source is set: set ADMIN_USER_IDS (Slack user ids), ADMIN_USERGROUP_IDS (Slack user group ids) or ADMIN_INCLUDE_WORKSPACE_ADMINS=true")
	}
	if _, err := zerolog.ParseLevel(s.LogLevel); err != nil || s.LogLevel == "" {
		add("LOG_LEVEL is invalid (%q): set it to trace, debug, info, warn or error", s.LogLevel)
	}
	if s.LogFormat != "json" && s.LogFormat != "console" {
		add("LOG_FORMAT is invalid (%q): set it to json or console", s.LogFormat)
	}
	positive := []struct {
		name  string
		value time.Duration
	}{
		{"PAPERSPACE_CREATE_TIMEOUT", s.CreateTimeout},
		{"REQUEST_EXPIRY", s.RequestExpiry},
		{"WATCH_INTERVAL", s.WatchInterval},
		{"WATCH_TIMEOUT", s.WatchTimeout},
		{"SHUTDOWN_TIMEOUT", s.ShutdownTimeout},
	}
	for _, p := range positive {
		if p.value <= 0 {
			add("%s must be a positive duration such as 90s or 10m, not %s", p.name, p.value)
		}
	}
	if msg := checkListenAddr(s.HTTPAddr); msg != "" {
		add("%s", msg)
	}
	if s.Replicas < 1 {
		add("REPLICAS must be 1 or more, not %d", s.Replicas)
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New(strings.Join(problems, "; "))
}

// checkToken returns a message when a Slack token is missing or of the
// wrong kind. It names the token kind by its prefix only, never the value.
func checkToken(name, value, prefix, what string) string {
	kinds := map[string]string{
		"xapp-": "an app-level token (xapp-…)",
		"xoxb-": "a bot token (xoxb-…)",
		"xoxp-": "a user token (xoxp-…)",
		"xoxe-": "a token-rotation token (xoxe-…)",
		"xoxa-": "a workspace app token (xoxa-…)",
	}
	switch {
	case value == "":
		return fmt.Sprintf("%s is not set: set it to %s", name, what)
	case strings.HasPrefix(value, prefix):
		return ""
	}
	for p, kind := range kinds {
		if strings.HasPrefix(value, p) {
			return fmt.Sprintf("%s holds %s, the wrong kind: set it to %s", name, kind, what)
		}
	}
	return fmt.Sprintf("%s does not look like a Slack token: set it to %s", name, what)
}

// DefaultHTTPAddr is the listen address of the health and metrics
// endpoints when HTTP_ADDR is not set.
const DefaultHTTPAddr = ":8080"

// checkListenAddr returns a message when HTTP_ADDR is neither "off" (or
// empty, which Load turns into the default) nor a host:port listen address
// with a port from 0 to 65535.
func checkListenAddr(addr string) string {
	if addr == "off" || addr == "" {
		return ""
	}
	_, port, err := net.SplitHostPort(addr)
	n, portErr := strconv.Atoi(port)
	if err != nil || portErr != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("HTTP_ADDR is invalid (%q): set it to a listen address such as :8080 or 127.0.0.1:8080, or to off", addr)
	}
	return ""
}

func checkURL(name, value string) string {
	u, err := url.Parse(value)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%s is invalid (%q): set it to an http or https URL", name, value)
	}
	return ""
}

// Level returns the zerolog level of LogLevel; Validate has checked it.
func (s Settings) Level() zerolog.Level {
	level, err := zerolog.ParseLevel(s.LogLevel)
	if err != nil {
		return zerolog.InfoLevel
	}
	return level
}

// HTTPEnabled reports whether the health and metrics listener should run.
func (s Settings) HTTPEnabled() bool {
	return s.HTTPAddr != "" && s.HTTPAddr != "off"
}

// IsAdminSourceSet reports whether any admin source is configured.
func (s Settings) IsAdminSourceSet() bool {
	return len(s.AdminUserIDs) > 0 || len(s.AdminUsergroupIDs) > 0 || s.AdminIncludeWorkspaceAdmins
}
