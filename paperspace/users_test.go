package paperspace_test

import (
	"context"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

func TestListUsersDecodesSeed(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)

	got, err := client.ListUsers(context.Background(), paperspace.UserFilter{})
	if err != nil {
		t.Fatalf("ListUsers error: %v", err)
	}
	want := []paperspace.User{{
		ID: "u123abc", Email: "jon@example.com", Firstname: "Jon", Lastname: "Snow",
		DtCreated: time.Date(2017, 4, 15, 16, 20, 59, 609e6, time.UTC), TeamID: "te456def",
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("users =\n%+v\nwant\n%+v", got, want)
	}
}

func TestListUsersSendsFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter paperspace.UserFilter
		want   url.Values
		wantN  int
	}{
		{"none", paperspace.UserFilter{}, url.Values{}, 1},
		{"email", paperspace.UserFilter{Email: "jon@example.com"}, url.Values{"email": {"jon@example.com"}}, 1},
		{"other email", paperspace.UserFilter{Email: "arya@example.com"}, url.Values{"email": {"arya@example.com"}}, 0},
		{
			"lower-case name filters",
			paperspace.UserFilter{Firstname: "Jon", Lastname: "Snow"},
			url.Values{"firstname": {"Jon"}, "lastname": {"Snow"}},
			1,
		},
		{"id and team", paperspace.UserFilter{ID: "u123abc", TeamID: "te456def"}, url.Values{"id": {"u123abc"}, "teamId": {"te456def"}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)

			users, err := client.ListUsers(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("ListUsers error: %v", err)
			}
			if len(users) != tt.wantN {
				t.Errorf("got %d users, want %d", len(users), tt.wantN)
			}
			if got := fake.RequestsTo(fakecoreapi.PathGetUsers)[0].Query; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListUsersFindsUserMadeByCreate(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)
	request := validCreateRequest()
	request.UserID = ""
	request.Email, request.Password, request.FirstName, request.LastName = "arya@example.com", "pw", "Arya", "Stark"
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 500, AfterUserCreated: true})

	if _, err := client.CreateMachine(context.Background(), request); err == nil {
		t.Fatal("CreateMachine error = nil, want the injected 500")
	}
	users, err := client.ListUsers(context.Background(), paperspace.UserFilter{Email: "arya@example.com"})
	if err != nil {
		t.Fatalf("ListUsers error: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("got %d users, want 1", len(users))
	}
	if users[0].Firstname != "Arya" {
		t.Errorf("Firstname = %q, want Arya", users[0].Firstname)
	}
	if users[0].Lastname != "Stark" {
		t.Errorf("Lastname = %q, want Stark", users[0].Lastname)
	}
}
