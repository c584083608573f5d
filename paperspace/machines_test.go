package paperspace_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// validCreateRequest returns a create that the fake accepts: an existing
// user gets an Air machine from the seed template t123abc.
func validCreateRequest() paperspace.CreateMachineRequest {
	return paperspace.CreateMachineRequest{
		Region:      "East Coast (NY2)",
		MachineType: "Air",
		Size:        50,
		BillingType: paperspace.BillingHourly,
		MachineName: "My Machine 1",
		TemplateID:  "t123abc",
		UserID:      "u123abc",
	}
}

func TestCreateMachineSendsDocumentedBody(t *testing.T) {
	tests := []struct {
		name    string
		request paperspace.CreateMachineRequest
		want    map[string]any
	}{
		{
			name:    "existing user",
			request: validCreateRequest(),
			want: map[string]any{
				"region": "East Coast (NY2)", "machineType": "Air", "size": 50.0, "billingType": "hourly",
				"machineName": "My Machine 1", "templateId": "t123abc", "userId": "u123abc",
			},
		},
		{
			name: "new user and every option",
			request: paperspace.CreateMachineRequest{
				Region: "Europe (AMS1)", MachineType: "GPU+", Size: 250, BillingType: "hourly",
				MachineName: "gpu box", TemplateID: "t456def", AssignPublicIP: true, NetworkID: "n123abc",
				TeamID: "te456def", Email: "arya@example.com", Password: "secret123",
				FirstName: "Arya", LastName: "Stark", NotificationEmail: "ops@example.com",
			},
			want: map[string]any{
				"region": "Europe (AMS1)", "machineType": "GPU+", "size": 250.0, "billingType": "hourly",
				"machineName": "gpu box", "templateId": "t456def", "assignPublicIp": true, "networkId": "n123abc",
				"teamId": "te456def", "email": "arya@example.com", "password": "secret123",
				"firstName": "Arya", "lastName": "Stark", "notificationEmail": "ops@example.com",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)

			if _, err := client.CreateMachine(context.Background(), tt.request); err != nil {
				t.Fatalf("CreateMachine error: %v", err)
			}
			requests := fake.RequestsTo(fakecoreapi.PathCreateMachine)
			if len(requests) != 1 {
				t.Fatalf("server saw %d creates, want 1", len(requests))
			}
			sent := requests[0]
			if sent.Method != http.MethodPost {
				t.Errorf("method = %s, want POST", sent.Method)
			}
			if sent.RawQuery != "" {
				t.Errorf("query = %q, want none", sent.RawQuery)
			}
			var got map[string]any
			if err := json.Unmarshal(sent.Body, &got); err != nil {
				t.Fatalf("body %s is not JSON: %v", sent.Body, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("body =\n%v\nwant\n%v", got, tt.want)
			}
			for header, want := range map[string]string{
				"Content-Type": "application/json",
				"Accept":       "application/json",
				"x-api-key":    fakecoreapi.DefaultAPIKey,
			} {
				if got := sent.Header.Get(header); got != want {
					t.Errorf("header %s = %q, want %q", header, got, want)
				}
			}
		})
	}
}

func TestCreateMachineSuccessStatuses(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			fake := newFake(t, fakecoreapi.WithCreateStatus(status))
			client := newClient(t, fake)

			machine, err := client.CreateMachine(context.Background(), validCreateRequest())
			if err != nil {
				t.Fatalf("CreateMachine error: %v", err)
			}
			if machine.ID == "" {
				t.Error("machine ID is empty")
			}
			if machine.State != paperspace.StateProvisioning {
				t.Errorf("State = %q, want %q", machine.State, paperspace.StateProvisioning)
			}
			if machine.Name != "My Machine 1" {
				t.Errorf("Name = %q, want %q", machine.Name, "My Machine 1")
			}
		})
	}
}

// documentedCreateResponse is the create response of the Core API
// documentation, nulls included.
const documentedCreateResponse = `{
  "id": "ps123abc",
  "name": "My Machine",
  "os": null,
  "ram": null,
  "cpus": 1,
  "gpu": null,
  "storageTotal": null,
  "storageUsed": null,
  "usageRate": "Air hourly",
  "shutdownTimeoutInHours": 24,
  "shutdownTimeoutForces": false,
  "performAutoSnapshot": false,
  "autoSnapshotFrequency": null,
  "autoSnapshotSaveCount": null,
  "agentType": "WindowsDesktop",
  "dtCreated": "2017-02-16T20:26:54.880Z",
  "state": "provisioning",
  "updatesPending": false,
  "networkId": null,
  "privateIpAddress": null,
  "publicIpAddress": "169.255.255.254",
  "region": null,
  "userId": "u123abc",
  "teamId": "te456def",
  "scriptId": "sc123abc",
  "dtLastRun": null,
  "dynamicPublicIp": null
}`

func TestCreateMachineDecodesNullHeavyResponse(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 201, Body: documentedCreateResponse})
	client := newClient(t, fake)

	got, err := client.CreateMachine(context.Background(), validCreateRequest())
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}
	want := &paperspace.Machine{
		ID:                     "ps123abc",
		Name:                   "My Machine",
		CPUs:                   1,
		UsageRate:              "Air hourly",
		ShutdownTimeoutInHours: 24,
		AgentType:              "WindowsDesktop",
		DtCreated:              time.Date(2017, 2, 16, 20, 26, 54, 880e6, time.UTC),
		State:                  "provisioning",
		PublicIPAddress:        "169.255.255.254",
		UserID:                 "u123abc",
		TeamID:                 "te456def",
		ScriptID:               "sc123abc",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("machine =\n%+v\nwant\n%+v", got, want)
	}
}

func TestCreateMachineFakeResponseShape(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 30, 0, 123456789, time.UTC)
	fake := newFake(t, fakecoreapi.WithClock(func() time.Time { return now }))
	client := newClient(t, fake)
	request := validCreateRequest()
	request.AssignPublicIP = true
	request.NetworkID = "n123abc"

	machine, err := client.CreateMachine(context.Background(), request)
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}
	checks := []struct {
		field     string
		got, want any
	}{
		{"State", machine.State, "provisioning"},
		{"UsageRate", machine.UsageRate, "Air hourly"},
		{"UserID", machine.UserID, "u123abc"},
		{"TeamID", machine.TeamID, "te456def"},
		{"DtCreated", machine.DtCreated, now.Truncate(time.Millisecond)},
		{"OS", machine.OS, ""},
		{"RAM", machine.RAM, paperspace.ByteCount(0)},
		{"Region", machine.Region, ""},
		{"NetworkID", machine.NetworkID, ""},
		{"PrivateIPAddress", machine.PrivateIPAddress, ""},
		{"MachineType", machine.MachineType, "Air"},
		{"AgentType", machine.AgentType, "WindowsDesktop"},
		{"Events", len(machine.Events), 0},
	}
	for _, check := range checks {
		if check.got != check.want {
			t.Errorf("%s = %v, want %v", check.field, check.got, check.want)
		}
	}
	if machine.PublicIPAddress == "" {
		t.Error("PublicIPAddress is empty, want an address because assignPublicIp was true")
	}
}

func TestCreateMachineRejectsEmptySuccess(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"empty", ""},
		{"null", "null"},
		{"no id", `{"name":"x","state":"provisioning"}`},
		{"not JSON", "created"},
		{"wrong type", `{"id": 5}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 200, Body: tt.body})
			client := newClient(t, fake)

			machine, err := client.CreateMachine(context.Background(), validCreateRequest())
			if !errors.Is(err, paperspace.ErrInvalidResponse) {
				t.Fatalf("CreateMachine = %+v, %v; want an error wrapping ErrInvalidResponse", machine, err)
			}
			if !paperspace.IsUnknownOutcome(err) {
				t.Errorf("IsUnknownOutcome(%v) = false, want true because the server responded 200", err)
			}
		})
	}
}

func TestCreateMachineNeverRetried(t *testing.T) {
	tests := []struct {
		name    string
		failure fakecoreapi.Failure
		timeout time.Duration
	}{
		{"500", fakecoreapi.Failure{Status: 500}, 0},
		{"503", fakecoreapi.Failure{Status: 503}, 0},
		{"429", fakecoreapi.Failure{Status: 429}, 0},
		{"timeout", fakecoreapi.Failure{Delay: time.Hour}, 50 * time.Millisecond},
		{"closed connection", fakecoreapi.Failure{CloseConnection: true}, 0},
		{"response lost after create", fakecoreapi.Failure{CloseConnection: true, AfterEffect: true}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathCreateMachine, tt.failure)
			calls := &callRecorder{}
			client := newClient(t, fake, paperspace.WithObserver(calls.observe))
			ctx := context.Background()
			if tt.timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.timeout)
				defer cancel()
			}

			if _, err := client.CreateMachine(ctx, validCreateRequest()); err == nil {
				t.Fatal("CreateMachine error = nil, want an error")
			}
			if got := len(fake.RequestsTo(fakecoreapi.PathCreateMachine)); got != 1 {
				t.Errorf("server saw %d creates, want exactly 1", got)
			}
			if got := len(calls.all()); got != 1 {
				t.Errorf("observer saw %d calls, want 1", got)
			}
		})
	}
}

func TestCreateMachineIgnoresAttemptTimeout(t *testing.T) {
	fake := newFake(t)
	// The server waits 100 ms, ten times the attempt timeout, which
	// applies to GETs only.
	fake.Delay(fakecoreapi.PathCreateMachine, 100*time.Millisecond)
	policy := fastRetry
	policy.AttemptTimeout = 10 * time.Millisecond
	client := newClient(t, fake, paperspace.WithRetryPolicy(policy))

	if _, err := client.CreateMachine(context.Background(), validCreateRequest()); err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}
}

func TestCreateMachineValidationErrorNamesField(t *testing.T) {
	tests := []struct {
		name      string
		change    func(r *paperspace.CreateMachineRequest)
		wantField string
	}{
		{"unknown template", func(r *paperspace.CreateMachineRequest) { r.TemplateID = "tmissing" }, "templateId"},
		{"bad region", func(r *paperspace.CreateMachineRequest) { r.Region = "Mars" }, "region"},
		{"bad machine type", func(r *paperspace.CreateMachineRequest) { r.MachineType = "Z9" }, "machineType"},
		{"email taken", func(r *paperspace.CreateMachineRequest) {
			r.UserID = ""
			r.Email, r.Password, r.FirstName, r.LastName = "jon@example.com", "pw", "Jon", "Snow"
		}, "email"},
		{"unknown user", func(r *paperspace.CreateMachineRequest) { r.UserID = "unobody" }, "userId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)
			request := validCreateRequest()
			tt.change(&request)

			_, err := client.CreateMachine(context.Background(), request)
			var apiErr *paperspace.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("CreateMachine error = %v, want a *paperspace.Error", err)
			}
			if apiErr.StatusCode != 400 {
				t.Errorf("StatusCode = %d, want 400", apiErr.StatusCode)
			}
			if apiErr.Field != tt.wantField {
				t.Errorf("Field = %q, want %q (message %q)", apiErr.Field, tt.wantField, apiErr.Message)
			}
			if paperspace.IsUnknownOutcome(err) {
				t.Errorf("IsUnknownOutcome(%v) = true, want false", err)
			}
		})
	}
}

func TestGetMachineFollowsProgress(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithReadyAfter(1))
	client := newClient(t, fake)
	created, err := client.CreateMachine(context.Background(), validCreateRequest())
	if err != nil {
		t.Fatalf("CreateMachine error: %v", err)
	}

	wantStates := []string{"provisioning", "starting", "ready", "ready"}
	for poll, want := range wantStates {
		machine, err := client.GetMachine(context.Background(), created.ID)
		if err != nil {
			t.Fatalf("poll %d: GetMachine error: %v", poll+1, err)
		}
		if machine.State != want {
			t.Errorf("poll %d: State = %q, want %q", poll+1, machine.State, want)
		}
		if machine.ID != created.ID {
			t.Errorf("poll %d: ID = %q, want %q", poll+1, machine.ID, created.ID)
		}
	}

	machine, err := client.GetMachine(context.Background(), created.ID)
	if err != nil {
		t.Fatalf("GetMachine error: %v", err)
	}
	if machine.Region != "East Coast (NY2)" {
		t.Errorf("ready machine Region = %q, want %q", machine.Region, "East Coast (NY2)")
	}
	if machine.StorageTotal != 50<<30 {
		t.Errorf("ready machine StorageTotal = %d, want %d", machine.StorageTotal, int64(50<<30))
	}
	var names []string
	for _, e := range machine.Events {
		names = append(names, e.Name+":"+e.State)
	}
	if want := []string{"create:done", "start:done"}; !reflect.DeepEqual(names, want) {
		t.Errorf("events = %v, want %v", names, want)
	}

	sent := fake.RequestsTo(fakecoreapi.PathGetMachine)[0].Query
	if want := (url.Values{"machineId": {created.ID}}); !reflect.DeepEqual(sent, want) {
		t.Errorf("query = %v, want %v", sent, want)
	}
}

func TestGetMachineErrors(t *testing.T) {
	fake := newFake(t)
	client := newClient(t, fake)

	_, err := client.GetMachine(context.Background(), "psmissing")
	if !paperspace.IsNotFound(err) {
		t.Errorf("GetMachine(unknown) error = %v, want not found", err)
	}

	_, err = client.GetMachine(context.Background(), "")
	if err == nil {
		t.Error("GetMachine(\"\") error = nil, want an error")
	}
	if got := len(fake.RequestsTo(fakecoreapi.PathGetMachine)); got != 1 {
		t.Errorf("server saw %d requests, want 1 because an empty id is not sent", got)
	}
}

func TestGetMachineDecodesByteCounts(t *testing.T) {
	tests := []struct {
		name string
		ram  string
		want paperspace.ByteCount
	}{
		{"string", `"8589938688"`, 8589938688},
		{"number", `8589938688`, 8589938688},
		{"null", `null`, 0},
		{"empty string", `""`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			body := `{"id":"ps1","state":"ready","ram":` + tt.ram + `,"storageTotal":` + tt.ram + `,"autoSnapshotFrequency":7}`
			fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{Status: 200, Body: body})
			client := newClient(t, fake)

			machine, err := client.GetMachine(context.Background(), "ps1")
			if err != nil {
				t.Fatalf("GetMachine error: %v", err)
			}
			if machine.RAM != tt.want {
				t.Errorf("RAM = %d, want %d", machine.RAM, tt.want)
			}
			if machine.StorageTotal != tt.want {
				t.Errorf("StorageTotal = %d, want %d", machine.StorageTotal, tt.want)
			}
			if machine.AutoSnapshotFrequency != "7" {
				t.Errorf("AutoSnapshotFrequency = %q, want %q", machine.AutoSnapshotFrequency, "7")
			}
		})
	}
}

func TestListMachinesSendsFilter(t *testing.T) {
	tests := []struct {
		name   string
		filter paperspace.MachineFilter
		want   url.Values
	}{
		{"no filter", paperspace.MachineFilter{}, url.Values{}},
		{
			"every field",
			paperspace.MachineFilter{Name: "box", MachineID: "ps1", State: "ready", Region: "West Coast (CA1)",
				UserID: "u1", TeamID: "te1", Limit: 10, Skip: 20},
			url.Values{"name": {"box"}, "machineId": {"ps1"}, "state": {"ready"}, "region": {"West Coast (CA1)"},
				"userId": {"u1"}, "teamId": {"te1"}, "limit": {"10"}, "skip": {"20"}},
		},
		{"zero limit and skip not sent", paperspace.MachineFilter{State: "off", Limit: 0, Skip: -1}, url.Values{"state": {"off"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake)

			if _, err := client.ListMachines(context.Background(), tt.filter); err != nil {
				t.Fatalf("ListMachines error: %v", err)
			}
			got := fake.RequestsTo(fakecoreapi.PathGetMachines)[0].Query
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("query = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListMachinesFilters(t *testing.T) {
	fake := newFake(t)
	fake.AddMachine(paperspace.Machine{ID: "psa", Name: "alpha", State: "ready", Region: "Europe (AMS1)", UserID: "u123abc"})
	fake.AddMachine(paperspace.Machine{ID: "psb", Name: "beta", State: "off", Region: "Europe (AMS1)", UserID: "u123abc"})
	fake.AddMachine(paperspace.Machine{ID: "psc", Name: "alpha", State: "off", Region: "West Coast (CA1)"})
	client := newClient(t, fake)

	tests := []struct {
		name   string
		filter paperspace.MachineFilter
		want   []string
	}{
		{"all", paperspace.MachineFilter{}, []string{"psa", "psb", "psc"}},
		{"by name", paperspace.MachineFilter{Name: "alpha"}, []string{"psa", "psc"}},
		{"by name and state", paperspace.MachineFilter{Name: "alpha", State: "off"}, []string{"psc"}},
		{"by region", paperspace.MachineFilter{Region: "Europe (AMS1)"}, []string{"psa", "psb"}},
		{"by id", paperspace.MachineFilter{MachineID: "psb"}, []string{"psb"}},
		{"by user", paperspace.MachineFilter{UserID: "u123abc"}, []string{"psa", "psb"}},
		{"page", paperspace.MachineFilter{Limit: 1, Skip: 1}, []string{"psb"}},
		{"none", paperspace.MachineFilter{Name: "gamma"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			machines, err := client.ListMachines(context.Background(), tt.filter)
			if err != nil {
				t.Fatalf("ListMachines error: %v", err)
			}
			got := []string{}
			for _, m := range machines {
				got = append(got, m.ID)
				if len(m.Events) != 0 {
					t.Errorf("machine %s has %d events, want none in a list", m.ID, len(m.Events))
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestListMachinesEmptyBodies(t *testing.T) {
	for _, body := range []string{"", "null", "[]", " \n"} {
		t.Run(body, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathGetMachines, fakecoreapi.Failure{Status: 200, Body: body})
			client := newClient(t, fake)

			machines, err := client.ListMachines(context.Background(), paperspace.MachineFilter{})
			if err != nil {
				t.Fatalf("ListMachines error: %v", err)
			}
			if machines == nil || len(machines) != 0 {
				t.Errorf("machines = %#v, want an empty, non-nil list", machines)
			}
		})
	}
}

func TestGetAvailability(t *testing.T) {
	fake := newFake(t)
	fake.SetAvailability("West Coast (CA1)", "P5000", false)
	client := newClient(t, fake)

	tests := []struct {
		region, machineType string
		want                bool
		wantRawQuery        string
	}{
		{"East Coast (NY2)", "GPU+", true, "machineType=GPU%2B&region=East%20Coast%20%28NY2%29"},
		{"West Coast (CA1)", "P5000", false, "machineType=P5000&region=West%20Coast%20%28CA1%29"},
		{"West Coast (CA1)", "P4000", true, "machineType=P4000&region=West%20Coast%20%28CA1%29"},
	}
	for _, tt := range tests {
		t.Run(tt.region+" "+tt.machineType, func(t *testing.T) {
			fake.Reset()
			got, err := client.GetAvailability(context.Background(), tt.region, tt.machineType)
			if err != nil {
				t.Fatalf("GetAvailability error: %v", err)
			}
			if got != tt.want {
				t.Errorf("GetAvailability = %v, want %v", got, tt.want)
			}
			sent := fake.RequestsTo(fakecoreapi.PathGetAvailability)[0]
			if sent.RawQuery != tt.wantRawQuery {
				t.Errorf("raw query = %q, want %q", sent.RawQuery, tt.wantRawQuery)
			}
			if sent.Query.Get("machineType") != tt.machineType || sent.Query.Get("region") != tt.region {
				t.Errorf("server decoded %v, want machineType=%q region=%q", sent.Query, tt.machineType, tt.region)
			}
		})
	}
}

func TestGetAvailabilityErrors(t *testing.T) {
	tests := []struct {
		name                string
		region, machineType string
		body                string
		wantRequests        int
	}{
		{"empty region", "", "GPU+", "", 0},
		{"empty machine type", "East Coast (NY2)", "", "", 0},
		{"no available field", "East Coast (NY2)", "GPU+", `{"ok":true}`, 1},
		{"empty body", "East Coast (NY2)", "GPU+", ``, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			if tt.body != "" || tt.wantRequests > 0 {
				fake.Fail(fakecoreapi.PathGetAvailability, fakecoreapi.Failure{Status: 200, Body: tt.body})
			}
			client := newClient(t, fake)

			if _, err := client.GetAvailability(context.Background(), tt.region, tt.machineType); err == nil {
				t.Error("GetAvailability error = nil, want an error")
			}
			if got := len(fake.RequestsTo(fakecoreapi.PathGetAvailability)); got != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}
