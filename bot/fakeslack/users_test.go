package fakeslack_test

import (
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func TestUsersInfo(t *testing.T) {
	s := newServer(t)
	s.AddUser(slack.User{ID: "U1", Name: "ada", IsAdmin: true, Profile: slack.UserProfile{Email: "Ada@example.com"}})
	s.AddUser(slack.User{ID: "U2", Name: "bob", IsRestricted: true, Deleted: true})
	api := newClient(s)

	tests := []struct {
		name    string
		id      string
		wantErr string
		check   func(u *slack.User) bool
	}{
		{"admin", "U1", "", func(u *slack.User) bool { return u.IsAdmin && u.Profile.Email == "Ada@example.com" }},
		{"deleted guest", "U2", "", func(u *slack.User) bool { return u.IsRestricted && u.Deleted && !u.IsAdmin }},
		{"bot user", s.BotUserID(), "", func(u *slack.User) bool { return u.IsBot }},
		{"unknown", "U404", "user_not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := api.GetUserInfoContext(testContext(t), tt.id)
			if got := slackErr(err); got != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(u) {
				t.Errorf("user = %+v, fields do not match", u)
			}
		})
	}
}

func TestUsersLookupByEmail(t *testing.T) {
	s := newServer(t)
	s.AddUser(slack.User{ID: "U1", Profile: slack.UserProfile{Email: "Ada@example.com"}})
	api := newClient(s)
	tests := []struct {
		email   string
		wantID  string
		wantErr string
	}{
		{"Ada@example.com", "U1", ""},
		{"ada@EXAMPLE.com", "U1", ""},
		{"nobody@example.com", "", "users_not_found"},
	}
	for _, tt := range tests {
		t.Run(tt.email, func(t *testing.T) {
			u, err := api.GetUserByEmailContext(testContext(t), tt.email)
			if got := slackErr(err); got != tt.wantErr {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.wantErr == "" && u.ID != tt.wantID {
				t.Errorf("user id = %q, want %q", u.ID, tt.wantID)
			}
		})
	}
}

func TestUserGroupMembers(t *testing.T) {
	s := newServer(t)
	s.AddUserGroup("S1", "U1", "U2")
	api := newClient(s)

	got, err := api.GetUserGroupMembersContext(testContext(t), "S1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "U1,U2" {
		t.Errorf("members = %v, want [U1 U2]", got)
	}
	_, err = api.GetUserGroupMembersContext(testContext(t), "S404")
	if code := slackErr(err); code != "no_such_subteam" {
		t.Errorf("unknown group: %v, want no_such_subteam", err)
	}
}

func TestConversationsOpen(t *testing.T) {
	s := newServer(t)
	api := newClient(s)
	ctx := testContext(t)

	ch, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U5"}})
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, field{"first open channel", ch.ID, s.DMChannel("U5")}, field{"first open already_open", already, false})
	ch2, _, already, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U5"}})
	if err != nil {
		t.Fatal(err)
	}
	checkFields(t, field{"second open channel", ch2.ID, ch.ID}, field{"second open already_open", already, true})
	group, _, _, err := api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{"U6", "U5"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(group.ID, "G") {
		t.Errorf("group DM id = %q, want G...", group.ID)
	}
	_, _, _, err = api.OpenConversationContext(ctx, &slack.OpenConversationParameters{})
	if code := slackErr(err); code != "users_list_not_supplied" {
		t.Errorf("no users: %v, want users_list_not_supplied", err)
	}
}
