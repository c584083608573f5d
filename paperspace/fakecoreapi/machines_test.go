package fakecoreapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// validCreateBody is a create that the fake accepts, for the seed user.
const validCreateBody = `{"region":"East Coast (NY2)","machineType":"Air","size":50,"billingType":"hourly",` +
	`"machineName":"My Machine 1","templateId":"t123abc","userId":"u123abc"}`

// newUserCreateBody is a create with new-user fields.
const newUserCreateBody = `{"region":"West Coast (CA1)","machineType":"P4000","size":250,"billingType":"hourly",` +
	`"machineName":"gpu","templateId":"t456def","teamId":"te456def","email":"arya@example.com",` +
	`"password":"secret123","firstName":"Arya","lastName":"Stark"}`

var (
	machineIDPattern = regexp.MustCompile(`^ps[a-z0-9]{7}$`)
	userIDPattern    = regexp.MustCompile(`^u[a-z0-9]{7}$`)
)

// withField returns validCreateBody with field set to the raw JSON value,
// or removed when value is "".
func withField(t *testing.T, field, value string) string {
	t.Helper()
	var body map[string]json.RawMessage
	if err := json.Unmarshal([]byte(validCreateBody), &body); err != nil {
		t.Fatal(err)
	}
	if value == "" {
		delete(body, field)
	} else {
		body[field] = json.RawMessage(value)
	}
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestCreateValidation(t *testing.T) {
	tests := []struct {
		name        string
		body        func(t *testing.T) string
		wantMessage string
	}{
		{"not JSON", func(t *testing.T) string { return "region=NY2" }, "The request body must be a JSON object"},
		{"JSON array", func(t *testing.T) string { return "[]" }, "The request body must be a JSON object"},
		{"missing region", func(t *testing.T) string { return withField(t, "region", "") }, "region is required"},
		{"null machineType", func(t *testing.T) string { return withField(t, "machineType", "null") }, "machineType is required"},
		{"missing size", func(t *testing.T) string { return withField(t, "size", "") }, "size is required"},
		{"missing billingType", func(t *testing.T) string { return withField(t, "billingType", "") }, "billingType is required"},
		{"missing machineName", func(t *testing.T) string { return withField(t, "machineName", "") }, "machineName is required"},
		{"missing templateId", func(t *testing.T) string { return withField(t, "templateId", "") }, "templateId is required"},
		{"size as string", func(t *testing.T) string { return withField(t, "size", `"50"`) }, "size must be a number"},
		{"size fractional", func(t *testing.T) string { return withField(t, "size", `50.5`) }, "size 50.5 must be a whole number of GB greater than 0"},
		{"size zero", func(t *testing.T) string { return withField(t, "size", `0`) }, "size 0 must be a whole number of GB greater than 0"},
		{"region as number", func(t *testing.T) string { return withField(t, "region", `1`) }, "region must be a string"},
		{"assignPublicIp as string", func(t *testing.T) string { return withField(t, "assignPublicIp", `"true"`) }, "assignPublicIp must be a boolean"},
		{"empty machineName", func(t *testing.T) string { return withField(t, "machineName", `""`) }, "machineName must not be empty"},
		{"name instead of machineName", func(t *testing.T) string { return withField(t, "name", `"x"`) }, `Unknown field "name"`},
		{"assignPublicIP misspelt", func(t *testing.T) string { return withField(t, "assignPublicIP", `true`) }, `Unknown field "assignPublicIP"`},
		{"unknown region", func(t *testing.T) string { return withField(t, "region", `"NY2"`) },
			`region "NY2" is not valid; use one of: East Coast (NY2), West Coast (CA1), Europe (AMS1)`},
		{"unknown machine type", func(t *testing.T) string { return withField(t, "machineType", `"H100"`) }, `machineType "H100" is not valid; use one of: ` + strings.Join(paperspace.MachineTypes, ", ")},
		{"unknown billing", func(t *testing.T) string { return withField(t, "billingType", `"weekly"`) }, `billingType "weekly" is not valid; use hourly or monthly`},
		{"unknown template", func(t *testing.T) string { return withField(t, "templateId", `"tnope"`) }, "templateId not found"},
		{"unknown network", func(t *testing.T) string { return withField(t, "networkId", `"nnope"`) }, "networkId not found"},
		{"unknown user", func(t *testing.T) string { return withField(t, "userId", `"unope"`) }, "userId not found"},
		{"both public IP kinds", func(t *testing.T) string {
			return strings.Replace(withField(t, "dynamicPublicIp", "true"), `"userId"`, `"assignPublicIp":true,"userId"`, 1)
		}, "assignPublicIp and dynamicPublicIp cannot both be true"},
		{"userId mixed with new-user fields", func(t *testing.T) string { return withField(t, "email", `"new@example.com"`) },
			"userId cannot be combined with email, password, firstName or lastName"},
		{"incomplete new user", func(t *testing.T) string {
			return strings.Replace(newUserCreateBody, `"password":"secret123",`, "", 1)
		}, "password is required to create a user; send email, password, firstName and lastName together"},
		{"email taken", func(t *testing.T) string {
			return strings.Replace(newUserCreateBody, "arya@example.com", "JON@example.com", 1)
		}, "email JON@example.com is already associated with a Paperspace account"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, tt.body(t))

			if got.status != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400 (body %s)", got.status, got.body)
			}
			want := map[string]any{"error": map[string]any{"name": "Error", "status": 400.0, "message": tt.wantMessage}}
			if body := got.decode(t); !reflect.DeepEqual(body, want) {
				t.Errorf("body = %s, want %v", got.body, want)
			}
			if n := len(fake.Machines()); n != 0 {
				t.Errorf("%d machines after a rejected create, want 0", n)
			}
			if n := len(fake.Users()); n != 1 {
				t.Errorf("%d users after a rejected create, want the 1 seed user", n)
			}
		})
	}
}

func TestCreateResponseShape(t *testing.T) {
	now := time.Date(2026, 12, 4, 9, 8, 7, 654321000, time.UTC)
	tests := []struct {
		name       string
		body       string
		wantPublic bool
	}{
		{"without public IP", validCreateBody, false},
		{"with public IP", strings.Replace(validCreateBody, `"userId"`, `"assignPublicIp":true,"userId"`, 1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fakecoreapi.WithClock(func() time.Time { return now }))
			got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, tt.body)
			if got.status != http.StatusOK {
				t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
			}
			if !strings.HasPrefix(got.contentType, "application/json") {
				t.Errorf("Content-Type = %q, want application/json", got.contentType)
			}
			machine := got.decode(t).(map[string]any)

			id, _ := machine["id"].(string)
			if !machineIDPattern.MatchString(id) {
				t.Errorf("id = %q, want ps and 7 lower-case letters or digits", id)
			}
			for _, field := range []string{"os", "ram", "gpu", "storageTotal", "storageUsed", "region", "networkId",
				"privateIpAddress", "autoSnapshotFrequency", "autoSnapshotSaveCount", "dtLastRun", "dynamicPublicIp", "scriptId"} {
				value, present := machine[field]
				if !present || value != nil {
					t.Errorf("%s = %v (present %v), want null", field, value, present)
				}
			}
			wantValues := map[string]any{
				"name": "My Machine 1", "state": "provisioning", "usageRate": "Air hourly", "cpus": 1.0,
				"userId": "u123abc", "teamId": "te456def", "dtCreated": "2026-12-04T09:08:07.654Z",
				"agentType": "WindowsDesktop", "machineType": "Air", "shutdownTimeoutInHours": 24.0,
				"updatesPending": false, "performAutoSnapshot": false, "shutdownTimeoutForces": false,
			}
			for field, want := range wantValues {
				if machine[field] != want {
					t.Errorf("%s = %v, want %v", field, machine[field], want)
				}
			}
			public, _ := machine["publicIpAddress"].(string)
			if (public != "") != tt.wantPublic {
				t.Errorf("publicIpAddress = %v, want set: %v", machine["publicIpAddress"], tt.wantPublic)
			}
			if _, present := machine["events"]; present {
				t.Error("create response has events, want none")
			}
		})
	}
}

func TestCreateWithNewUser(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)

	got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, newUserCreateBody)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
	}
	machine := got.decode(t).(map[string]any)

	users, err := client.ListUsers(context.Background(), paperspace.UserFilter{Email: "arya@example.com"})
	if err != nil {
		t.Fatalf("ListUsers error: %v", err)
	}
	if len(users) != 1 {
		t.Fatalf("got %d users with the new email, want 1", len(users))
	}
	user := users[0]
	if !userIDPattern.MatchString(user.ID) {
		t.Errorf("user id = %q, want u and 7 lower-case letters or digits", user.ID)
	}
	if user.Firstname != "Arya" {
		t.Errorf("user Firstname = %q, want Arya", user.Firstname)
	}
	if user.Lastname != "Stark" {
		t.Errorf("user Lastname = %q, want Stark", user.Lastname)
	}
	if user.TeamID != "te456def" {
		t.Errorf("user TeamID = %q, want te456def", user.TeamID)
	}
	if machine["userId"] != user.ID {
		t.Errorf("machine userId = %v, want the new user %s", machine["userId"], user.ID)
	}
	if machine["usageRate"] != "P4000 hourly" {
		t.Errorf("usageRate = %v, want P4000 hourly", machine["usageRate"])
	}
	if machine["agentType"] != "LinuxHeadless" {
		t.Errorf("agentType = %v, want LinuxHeadless", machine["agentType"])
	}

	again := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, newUserCreateBody)
	if again.status != http.StatusBadRequest || !strings.Contains(string(again.body), "email") {
		t.Errorf("second create with the same email: status %d body %s; want 400 naming email", again.status, again.body)
	}
}

func TestCreateWithoutUserGoesToAccountOwner(t *testing.T) {
	fake := newFake(t)
	body := withField(t, "userId", "")

	got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, body)
	if got.status != http.StatusOK {
		t.Fatalf("status = %d, want 200 (body %s)", got.status, got.body)
	}
	if owner := got.decode(t).(map[string]any)["userId"]; owner != "u123abc" {
		t.Errorf("userId = %v, want the first user u123abc", owner)
	}
}

func TestCreatedMachineProgress(t *testing.T) {
	fake := newFake(t) // provisioning for the default 2 polls
	created := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil,
		strings.Replace(validCreateBody, `"userId"`, `"networkId":"n123abc","userId"`, 1))
	id := created.decode(t).(map[string]any)["id"].(string)

	type poll struct {
		state  string
		region any
		events []string
	}
	want := []poll{
		{"provisioning", nil, []string{"create:in progress"}},
		{"provisioning", nil, []string{"create:in progress"}},
		{"starting", "East Coast (NY2)", []string{"create:done", "start:in progress"}},
		{"ready", "East Coast (NY2)", []string{"create:done", "start:done"}},
		{"ready", "East Coast (NY2)", []string{"create:done", "start:done"}},
	}
	for i, w := range want {
		got := send(t, fake, http.MethodGet, fakecoreapi.PathGetMachine, url.Values{"machineId": {id}}, "")
		machine := got.decode(t).(map[string]any)
		if machine["state"] != w.state {
			t.Errorf("poll %d: state = %v, want %s", i+1, machine["state"], w.state)
		}
		if machine["region"] != w.region {
			t.Errorf("poll %d: region = %v, want %v", i+1, machine["region"], w.region)
		}
		var events []string
		for _, e := range machine["events"].([]any) {
			event := e.(map[string]any)
			events = append(events, fmt.Sprintf("%s:%s", event["name"], event["state"]))
		}
		if !reflect.DeepEqual(events, w.events) {
			t.Errorf("poll %d: events = %v, want %v", i+1, events, w.events)
		}
	}

	stored := fake.Machines()[0]
	if stored.NetworkID != "n123abc" {
		t.Errorf("ready machine NetworkID = %q, want n123abc", stored.NetworkID)
	}
	if stored.PrivateIPAddress == "" {
		t.Error("ready machine PrivateIPAddress is empty, want an address")
	}
	if stored.RAM == 0 {
		t.Error("ready machine RAM is 0, want a size")
	}
	if stored.StorageTotal != 50<<30 {
		t.Errorf("ready machine StorageTotal = %d, want %d", stored.StorageTotal, int64(50<<30))
	}

	listed := send(t, fake, http.MethodGet, fakecoreapi.PathGetMachines, nil, "").decode(t).([]any)
	if state := listed[0].(map[string]any)["state"]; state != "ready" {
		t.Errorf("getMachines state = %v, want ready", state)
	}
}

func TestReadyAfterZero(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithReadyAfter(-3))
	client := newClient(t, fake)
	created, err := client.CreateMachine(context.Background(), paperspace.CreateMachineRequest{
		Region: "Europe (AMS1)", MachineType: "C2", Size: 100, BillingType: "hourly",
		MachineName: "fast", TemplateID: "tibsmjg", UserID: "u123abc",
	})
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}

	for i, want := range []string{"starting", "ready"} {
		machine, err := client.GetMachine(context.Background(), created.ID)
		if err != nil {
			t.Fatalf("GetMachine error: %v", err)
		}
		if machine.State != want {
			t.Errorf("poll %d: State = %q, want %q", i+1, machine.State, want)
		}
	}
}

func TestSetMachineStateStopsProgress(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithReadyAfter(0))
	client := newClient(t, fake)
	created, err := client.CreateMachine(context.Background(), paperspace.CreateMachineRequest{
		Region: "East Coast (NY2)", MachineType: "Air", Size: 50, BillingType: "hourly",
		MachineName: "stuck", TemplateID: "t123abc", UserID: "u123abc",
	})
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}

	fake.SetMachineState(created.ID, paperspace.StateOff)
	for poll := 1; poll <= 3; poll++ {
		machine, err := client.GetMachine(context.Background(), created.ID)
		if err != nil {
			t.Fatalf("GetMachine error: %v", err)
		}
		if machine.State != paperspace.StateOff {
			t.Errorf("poll %d: State = %q, want off", poll, machine.State)
		}
		if machine.Region != "East Coast (NY2)" {
			t.Errorf("poll %d: Region = %q, want it filled in once the machine left provisioning", poll, machine.Region)
		}
	}
}

func TestGetMachineErrors(t *testing.T) {
	fake := newFake(t)
	tests := []struct {
		name    string
		query   url.Values
		status  int
		message string
	}{
		{"missing id", nil, 400, "machineId is required"},
		{"id instead of machineId", url.Values{"id": {"ps1"}}, 400, "machineId is required"},
		{"unknown", url.Values{"machineId": {"psnope"}}, 404, "Machine not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, fake, http.MethodGet, fakecoreapi.PathGetMachine, tt.query, "")
			if got.status != tt.status {
				t.Errorf("status = %d, want %d", got.status, tt.status)
			}
			want := map[string]any{"error": map[string]any{"name": "Error", "status": float64(tt.status), "message": tt.message}}
			if body := got.decode(t); !reflect.DeepEqual(body, want) {
				t.Errorf("body = %s, want %v", got.body, want)
			}
		})
	}
}

func TestConcurrentCreatesGetUniqueIDs(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)
	const creates = 40

	var wg sync.WaitGroup
	ids := make(chan string, creates)
	errs := make(chan error, creates)
	for i := range creates {
		wg.Go(func() {
			machine, err := client.CreateMachine(context.Background(), paperspace.CreateMachineRequest{
				Region: "East Coast (NY2)", MachineType: "Air", Size: 50, BillingType: "hourly",
				MachineName: fmt.Sprintf("m%d", i), TemplateID: "t123abc",
				Email: fmt.Sprintf("user%d@example.com", i), Password: "pw", FirstName: "F", LastName: "L",
			})
			if err != nil {
				errs <- err
				return
			}
			ids <- machine.ID
			_, _ = client.GetMachine(context.Background(), machine.ID)
			_, _ = client.ListMachines(context.Background(), paperspace.MachineFilter{})
		})
	}
	wg.Wait()
	close(ids)
	close(errs)

	for err := range errs {
		t.Errorf("CreateMachine error: %v", err)
	}
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Errorf("machine id %s given twice", id)
		}
		seen[id] = true
	}
	if got := len(fake.Machines()); got != creates {
		t.Errorf("fake has %d machines, want %d", got, creates)
	}
	if got := len(fake.Users()); got != creates+1 {
		t.Errorf("fake has %d users, want %d", got, creates+1)
	}
}
