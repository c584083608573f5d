package handlers

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/bot/fakeslack"
)

func newAuthzFake(t *testing.T) (*fakeslack.Server, *slack.Client) {
	t.Helper()
	s := fakeslack.New()
	t.Cleanup(s.Close)
	for _, u := range []slack.User{
		{ID: "U_WSADMIN", IsAdmin: true},
		{ID: "U_OWNER", IsOwner: true},
		{ID: "U_GUEST_ADMIN", IsAdmin: true, IsRestricted: true},
		{ID: "U_GONE_ADMIN", IsAdmin: true, Deleted: true},
		{ID: "U_PLAIN"},
		{ID: "U_GROUPIE"},
	} {
		s.AddUser(u)
	}
	s.AddUserGroup("S_ADMINS", "U_GROUPIE")
	return s, slack.New(fakeslack.DefaultBotToken, slack.OptionAPIURL(s.APIURL()))
}

func TestAuthorizerSources(t *testing.T) {
	_, api := newAuthzFake(t)
	tests := []struct {
		name   string
		config AuthorizerConfig
		user   string
		want   bool
	}{
		{"listed id", AuthorizerConfig{UserIDs: []string{"U_PLAIN"}}, "U_PLAIN", true},
		{"not listed", AuthorizerConfig{UserIDs: []string{"U_OTHER"}}, "U_PLAIN", false},
		{"group member", AuthorizerConfig{UsergroupIDs: []string{"S_ADMINS"}}, "U_GROUPIE", true},
		{"not a group member", AuthorizerConfig{UsergroupIDs: []string{"S_ADMINS"}}, "U_PLAIN", false},
		{"workspace admin", AuthorizerConfig{IncludeWorkspaceAdmin: true}, "U_WSADMIN", true},
		{"workspace owner", AuthorizerConfig{IncludeWorkspaceAdmin: true}, "U_OWNER", true},
		{"workspace admins not included", AuthorizerConfig{UserIDs: []string{"U_X"}}, "U_WSADMIN", false},
		{"guest admin", AuthorizerConfig{IncludeWorkspaceAdmin: true}, "U_GUEST_ADMIN", false},
		{"deactivated admin", AuthorizerConfig{IncludeWorkspaceAdmin: true}, "U_GONE_ADMIN", false},
		{"plain member", AuthorizerConfig{IncludeWorkspaceAdmin: true, UsergroupIDs: []string{"S_ADMINS"}}, "U_PLAIN", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.config.API = api
			a := NewAuthorizer(tt.config)
			got, err := a.IsAdmin(context.Background(), tt.user)
			if err != nil {
				t.Fatalf("IsAdmin: %v", err)
			}
			if got != tt.want {
				t.Errorf("IsAdmin(%s) = %v, want %v", tt.user, got, tt.want)
			}
		})
	}
}

func TestAuthorizerFailsClosed(t *testing.T) {
	s, api := newAuthzFake(t)
	s.Inject("usergroups.users.list", fakeslack.Fault{Error: "plan_upgrade_required"})
	s.Inject("users.info", fakeslack.Fault{Status: 500})
	a := NewAuthorizer(AuthorizerConfig{API: api, UsergroupIDs: []string{"S_ADMINS"}, IncludeWorkspaceAdmin: true})

	got, err := a.IsAdmin(context.Background(), "U_GROUPIE")
	if got {
		t.Errorf("IsAdmin = true while every lookup failed, want false")
	}
	if err == nil {
		t.Errorf("IsAdmin error = nil, want the lookup failures")
	}
}

func TestAuthorizerCachesForAMinute(t *testing.T) {
	s, api := newAuthzFake(t)
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	clock := func() time.Time { return time.Unix(0, now.Load()) }
	a := NewAuthorizer(AuthorizerConfig{API: api, UsergroupIDs: []string{"S_ADMINS"}, Now: clock})

	if _, known := a.Cached("U_GROUPIE"); known {
		t.Fatalf("Cached before any lookup: known = true, want false")
	}
	for range 3 {
		if ok, err := a.IsAdmin(context.Background(), "U_GROUPIE"); err != nil || !ok {
			t.Fatalf("IsAdmin = %v, %v; want true, nil", ok, err)
		}
	}
	if n := len(s.CallsTo("usergroups.users.list")); n != 1 {
		t.Errorf("usergroups.users.list calls = %d, want 1 within a minute", n)
	}
	if admin, known := a.Cached("U_GROUPIE"); !known || !admin {
		t.Errorf("Cached = %v, %v; want true, true", admin, known)
	}

	now.Add(int64(CacheTTL))
	if _, known := a.Cached("U_GROUPIE"); known {
		t.Errorf("Cached after the TTL: known = true, want false")
	}
	if _, err := a.IsAdmin(context.Background(), "U_GROUPIE"); err != nil {
		t.Fatalf("IsAdmin: %v", err)
	}
	if n := len(s.CallsTo("usergroups.users.list")); n != 2 {
		t.Errorf("usergroups.users.list calls = %d, want 2 after the TTL", n)
	}
}

func TestAuthorizerContacts(t *testing.T) {
	a := NewAuthorizer(AuthorizerConfig{UserIDs: []string{"U1", "U2"}, UsergroupIDs: []string{"S1"}, IncludeWorkspaceAdmin: true})
	got := a.Contacts()
	for _, want := range []string{"<@U1>", "<@U2>", "<!subteam^S1>", "workspace admin"} {
		if !strings.Contains(got, want) {
			t.Errorf("Contacts() = %q, want it to contain %q", got, want)
		}
	}
}
