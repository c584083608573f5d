package fakecoreapi_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// newUserRequest is newUserCreateBody as a client request.
func newUserRequest() paperspace.CreateMachineRequest {
	return paperspace.CreateMachineRequest{
		Region: "West Coast (CA1)", MachineType: "P4000", Size: 250, BillingType: "hourly",
		MachineName: "gpu", TemplateID: "t456def", TeamID: "te456def",
		Email: "arya@example.com", Password: "secret123", FirstName: "Arya", LastName: "Stark",
	}
}

func TestFailureResponses(t *testing.T) {
	tests := []struct {
		name            string
		failure         fakecoreapi.Failure
		wantStatus      int
		wantContentType string
		wantBody        string
	}{
		{"nested JSON", fakecoreapi.Failure{Status: 500, Body: `{"error":{"name":"Error","status":500,"message":"x"}}`},
			500, "application/json", `{"error":{"name":"Error","status":500,"message":"x"}}`},
		{"plain text", fakecoreapi.Failure{Status: 502, Body: "Bad Gateway"}, 502, "text/plain; charset=utf-8", "Bad Gateway"},
		{"empty", fakecoreapi.Failure{Status: 503}, 503, "", ""},
		{"explicit content type", fakecoreapi.Failure{Status: 500, Body: "<html></html>", ContentType: "text/html"}, 500, "text/html", "<html></html>"},
		{"canned success", fakecoreapi.Failure{Status: 200, Body: `[]`}, 200, "application/json", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathGetTemplates, tt.failure)

			got := send(t, fake, http.MethodGet, fakecoreapi.PathGetTemplates, nil, "")
			if got.status != tt.wantStatus {
				t.Errorf("status = %d, want %d", got.status, tt.wantStatus)
			}
			if got.contentType != tt.wantContentType {
				t.Errorf("Content-Type = %q, want %q", got.contentType, tt.wantContentType)
			}
			if string(got.body) != tt.wantBody {
				t.Errorf("body = %q, want %q", got.body, tt.wantBody)
			}
		})
	}
}

func TestFailureTimesAndOrder(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetUsers, fakecoreapi.Failure{Status: 500, Times: 2})
	fake.Fail(fakecoreapi.PathGetUsers, fakecoreapi.Failure{Status: 429, Times: 1})

	var got []int
	for range 4 {
		got = append(got, send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "").status)
	}
	want := []int{500, 500, 429, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d status = %d, want %d (all: %v)", i+1, got[i], want[i], got)
		}
	}
	if status := send(t, fake, http.MethodGet, fakecoreapi.PathGetNetworks, nil, "").status; status != 200 {
		t.Errorf("other path status = %d, want 200", status)
	}
}

func TestFailureUntilCleared(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetUsers, fakecoreapi.Failure{Status: 500})
	for i := range 3 {
		if status := send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "").status; status != 500 {
			t.Errorf("request %d status = %d, want 500", i+1, status)
		}
	}

	fake.ClearFailures()
	if status := send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "").status; status != 200 {
		t.Errorf("status after ClearFailures = %d, want 200", status)
	}
}

func TestFailureBeforeEffect(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 500, Times: 1})
	client := newClient(t, fake)

	_, err := client.CreateMachine(context.Background(), newUserRequest())
	if !paperspace.IsUnknownOutcome(err) {
		t.Errorf("CreateMachine error = %v, want an unknown outcome", err)
	}
	if n := len(fake.Machines()); n != 0 {
		t.Errorf("%d machines, want 0", n)
	}
	if n := len(fake.Users()); n != 1 {
		t.Errorf("%d users, want only the seed user", n)
	}
}

func TestFailureAfterEffect(t *testing.T) {
	tests := []struct {
		name    string
		failure fakecoreapi.Failure
	}{
		{"500", fakecoreapi.Failure{Status: 500, AfterEffect: true}},
		{"closed connection", fakecoreapi.Failure{CloseConnection: true, AfterEffect: true}},
		{"slow response", fakecoreapi.Failure{Delay: time.Hour, AfterEffect: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathCreateMachine, tt.failure)
			client := newClient(t, fake)
			ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
			defer cancel()

			_, err := client.CreateMachine(ctx, newUserRequest())
			if !paperspace.IsUnknownOutcome(err) {
				t.Errorf("CreateMachine error = %v, want an unknown outcome", err)
			}
			machines := fake.Machines()
			if len(machines) != 1 {
				t.Fatalf("%d machines, want 1 because the create happened", len(machines))
			}
			if machines[0].Name != "gpu" {
				t.Errorf("machine name = %q, want gpu", machines[0].Name)
			}
			users := fake.Users()
			if len(users) != 2 || users[1].Email != "arya@example.com" {
				t.Errorf("users = %+v, want the seed user and arya@example.com", users)
			}
			if machines[0].UserID != users[len(users)-1].ID {
				t.Errorf("machine userId = %q, want the new user %q", machines[0].UserID, users[len(users)-1].ID)
			}
		})
	}
}

func TestFailureAfterUserCreated(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{
		Status: 400, Body: `{"error":{"name":"Error","status":400,"message":"Out of capacity"}}`, AfterUserCreated: true, Times: 1,
	})
	client := newClient(t, fake)

	_, err := client.CreateMachine(context.Background(), newUserRequest())
	var apiErr *paperspace.Error
	if !errors.As(err, &apiErr) || apiErr.Message != "Out of capacity" {
		t.Fatalf("CreateMachine error = %v, want the injected 400", err)
	}
	if n := len(fake.Machines()); n != 0 {
		t.Errorf("%d machines, want 0 because the failure came before the machine", n)
	}
	users, err := client.ListUsers(context.Background(), paperspace.UserFilter{Email: "arya@example.com"})
	if err != nil {
		t.Fatalf("ListUsers error: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("got %d users with the new email, want 1", len(users))
	}

	retry := newUserRequest()
	retry.Email, retry.Password, retry.FirstName, retry.LastName = "", "", "", ""
	retry.UserID = users[0].ID
	machine, err := client.CreateMachine(context.Background(), retry)
	if err != nil {
		t.Fatalf("retry with the created user: %v", err)
	}
	if machine.UserID != users[0].ID {
		t.Errorf("retried machine userId = %q, want %q", machine.UserID, users[0].ID)
	}
}

func TestFailureAfterUserCreatedDelayOnly(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Delay: time.Millisecond, AfterUserCreated: true})
	client := newClient(t, fake)

	machine, err := client.CreateMachine(context.Background(), newUserRequest())
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}
	if n := len(fake.Machines()); n != 1 {
		t.Errorf("%d machines, want 1 because a zero Status only delays", n)
	}
	if machine.UserID == "" || machine.UserID == "u123abc" {
		t.Errorf("machine userId = %q, want the new user", machine.UserID)
	}
}

func TestFailureAfterUserCreatedWithoutNewUser(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 500, AfterUserCreated: true})
	client := newClient(t, fake)
	request := newUserRequest()
	request.Email, request.Password, request.FirstName, request.LastName = "", "", "", ""
	request.UserID = "u123abc"

	if _, err := client.CreateMachine(context.Background(), request); err == nil {
		t.Fatal("CreateMachine error = nil, want the injected 500")
	}
	if n := len(fake.Machines()); n != 0 {
		t.Errorf("%d machines, want 0", n)
	}
	if n := len(fake.Users()); n != 1 {
		t.Errorf("%d users, want only the seed user", n)
	}
}

func TestDelayHonoursClientCancel(t *testing.T) {
	fake := fakecoreapi.New()
	fake.Delay(fakecoreapi.PathGetTemplates, time.Hour)
	client := newClient(t, fake)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()

	_, err := client.ListTemplates(ctx, paperspace.TemplateFilter{})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("ListTemplates error = %v, want a deadline error", err)
	}
	// Close waits for every handler; it returns only because the delayed
	// handler ended with the client's request.
	fake.Close()
}

func TestCloseEndsDelays(t *testing.T) {
	fake := fakecoreapi.New()
	fake.Delay(fakecoreapi.PathGetUsers, time.Hour)
	client := newClient(t, fake)

	errs := make(chan error, 1)
	go func() {
		_, err := client.ListUsers(context.Background(), paperspace.UserFilter{})
		errs <- err
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := fake.WaitForRequests(ctx, fakecoreapi.PathGetUsers, 1); err != nil {
		t.Fatal(err)
	}

	fake.Close()
	if err := <-errs; err == nil {
		t.Error("ListUsers error = nil, want an error because the server closed without responding")
	}
}

func TestHoldCreates(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)
	release := fake.HoldCreates()
	if again := fake.HoldCreates(); again == nil {
		t.Fatal("second HoldCreates returned nil")
	}

	type result struct {
		machine *paperspace.Machine
		err     error
	}
	results := make(chan result, 1)
	go func() {
		machine, err := client.CreateMachine(context.Background(), newUserRequest())
		results <- result{machine, err}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := fake.WaitForRequests(ctx, fakecoreapi.PathCreateMachine, 1); err != nil {
		t.Fatalf("create never arrived: %v", err)
	}
	if n := len(fake.Machines()); n != 0 {
		t.Errorf("%d machines while held, want 0", n)
	}
	if n := len(fake.Users()); n != 1 {
		t.Errorf("%d users while held, want only the seed user", n)
	}
	select {
	case r := <-results:
		t.Fatalf("create returned while held: %+v", r)
	default:
	}

	release()
	release() // a second call is harmless
	r := <-results
	if r.err != nil {
		t.Fatalf("CreateMachine after release: %v", r.err)
	}
	if n := len(fake.Machines()); n != 1 {
		t.Errorf("%d machines after release, want 1", n)
	}

	if _, err := client.CreateMachine(context.Background(), paperspace.CreateMachineRequest{
		Region: "East Coast (NY2)", MachineType: "Air", Size: 50, BillingType: "hourly",
		MachineName: "not held", TemplateID: "t123abc", UserID: "u123abc",
	}); err != nil {
		t.Errorf("CreateMachine after the hold ended: %v", err)
	}
}

func TestHoldCreatesLetsGetsThrough(t *testing.T) {
	fake := newFake(t)
	release := fake.HoldCreates()
	defer release()
	client := newClient(t, fake)

	if _, err := client.ListMachines(context.Background(), paperspace.MachineFilter{}); err != nil {
		t.Errorf("ListMachines while creates are held: %v", err)
	}
}

func TestHeldCreateEndsWithClientOrClose(t *testing.T) {
	tests := []struct {
		name  string
		close bool
	}{
		{"client cancels", false},
		{"server closes", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := fakecoreapi.New()
			fake.HoldCreates()
			client := newClient(t, fake)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()

			errs := make(chan error, 1)
			go func() {
				_, err := client.CreateMachine(ctx, newUserRequest())
				errs <- err
			}()
			wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			if _, err := fake.WaitForRequests(wait, fakecoreapi.PathCreateMachine, 1); err != nil {
				t.Fatal(err)
			}

			if tt.close {
				fake.Close()
			} else {
				cancel()
			}
			err := <-errs
			if !paperspace.IsUnknownOutcome(err) {
				t.Errorf("CreateMachine error = %v, want an unknown outcome", err)
			}
			fake.Close()
			if n := len(fake.Machines()); n != 0 {
				t.Errorf("%d machines, want 0 because the held create never ran", n)
			}
		})
	}
}
