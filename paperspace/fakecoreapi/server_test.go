package fakecoreapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// newFake starts a fake that closes with the test.
func newFake(t *testing.T, opts ...fakecoreapi.Option) *fakecoreapi.Server {
	t.Helper()
	fake := fakecoreapi.New(opts...)
	t.Cleanup(fake.Close)
	return fake
}

// response is a raw HTTP response from the fake.
type response struct {
	status      int
	contentType string
	body        []byte
}

// decode decodes the body as JSON into a generic value.
func (r response) decode(t *testing.T) any {
	t.Helper()
	var value any
	if err := json.Unmarshal(r.body, &value); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return value
}

// send makes one raw request to the fake with the default API key.
func send(t *testing.T, fake *fakecoreapi.Server, method, path string, query url.Values, body string) response {
	t.Helper()
	return sendWithKey(t, fake, fakecoreapi.DefaultAPIKey, method, fake.URL()+path, query, body)
}

func sendWithKey(t *testing.T, fake *fakecoreapi.Server, key, method, target string, query url.Values, body string) response {
	t.Helper()
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("build request: %v", err)
	}
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: data}
}

// newClient returns a client for fake that does not retry.
func newClient(t *testing.T, fake *fakecoreapi.Server) *paperspace.Client {
	t.Helper()
	client, err := paperspace.NewClient(fake.URL(), fakecoreapi.DefaultAPIKey,
		paperspace.WithRetryPolicy(paperspace.RetryPolicy{MaxAttempts: 1}))
	if err != nil {
		t.Fatalf("NewClient error: %v", err)
	}
	return client
}

func TestServerURLHasBasePath(t *testing.T) {
	tests := []struct {
		name     string
		opts     []fakecoreapi.Option
		wantPath string
	}{
		{"default", nil, "/core"},
		{"custom", []fakecoreapi.Option{fakecoreapi.WithBasePath("/api/v0/")}, "/api/v0"},
		{"no leading slash", []fakecoreapi.Option{fakecoreapi.WithBasePath("legacy")}, "/legacy"},
		{"root", []fakecoreapi.Option{fakecoreapi.WithBasePath("/")}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, tt.opts...)
			u, err := url.Parse(fake.URL())
			if err != nil {
				t.Fatalf("URL() = %q is not a URL: %v", fake.URL(), err)
			}
			if u.Path != tt.wantPath {
				t.Errorf("URL() path = %q, want %q", u.Path, tt.wantPath)
			}
			if host := u.Hostname(); host != "127.0.0.1" && host != "::1" {
				t.Errorf("URL() host = %q, want a loopback address", host)
			}
		})
	}
}

func TestServerRejectsPathsOutsideBase(t *testing.T) {
	fake := newFake(t)
	root := strings.TrimSuffix(fake.URL(), "/core")
	tests := []struct {
		name   string
		target string
	}{
		{"base path dropped", root + "/templates/getTemplates"},
		{"base path prefix only", root + "/corex/templates/getTemplates"},
		{"unknown endpoint", fake.URL() + "/templates/list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := sendWithKey(t, fake, fakecoreapi.DefaultAPIKey, http.MethodGet, tt.target, nil, "")
			if got.status != http.StatusNotFound {
				t.Errorf("status = %d, want 404", got.status)
			}
			body, _ := got.decode(t).(map[string]any)
			if _, ok := body["error"].(map[string]any); !ok {
				t.Errorf("body = %s, want the nested error shape", got.body)
			}
		})
	}
}

func TestServerWrongMethodIsNotFound(t *testing.T) {
	fake := newFake(t)
	got := send(t, fake, http.MethodPost, fakecoreapi.PathGetTemplates, nil, "{}")
	if got.status != http.StatusNotFound {
		t.Errorf("POST getTemplates status = %d, want 404", got.status)
	}
	got = send(t, fake, http.MethodGet, fakecoreapi.PathCreateMachine, nil, "")
	if got.status != http.StatusNotFound {
		t.Errorf("GET createSingleMachinePublic status = %d, want 404", got.status)
	}
}

func TestServerChecksAPIKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
	}{
		{"missing", ""},
		{"wrong", "not-the-key"},
		{"prefix of the key", fakecoreapi.DefaultAPIKey[:4]},
	}
	paths := []string{fakecoreapi.PathGetTemplates, fakecoreapi.PathGetMachines, fakecoreapi.PathGetUsers,
		fakecoreapi.PathGetNetworks, fakecoreapi.PathGetMachine, fakecoreapi.PathGetAvailability}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			for _, path := range paths {
				got := sendWithKey(t, fake, tt.key, http.MethodGet, fake.URL()+path, nil, "")
				if got.status != http.StatusBadRequest {
					t.Errorf("%s status = %d, want 400", path, got.status)
				}
				want := map[string]any{"status": 400.0, "message": "Invalid API token"}
				if body := got.decode(t); !reflect.DeepEqual(body, want) {
					t.Errorf("%s body = %s, want %v", path, got.body, want)
				}
			}
			got := sendWithKey(t, fake, tt.key, http.MethodPost, fake.URL()+fakecoreapi.PathCreateMachine, nil, validCreateBody)
			if got.status != http.StatusBadRequest {
				t.Errorf("create status = %d, want 400", got.status)
			}
			if n := len(fake.Machines()); n != 0 {
				t.Errorf("%d machines after a create with a bad key, want 0", n)
			}
		})
	}
}

func TestServerCustomAPIKey(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithAPIKey("k2"))
	if got := sendWithKey(t, fake, "k2", http.MethodGet, fake.URL()+fakecoreapi.PathGetUsers, nil, ""); got.status != 200 {
		t.Errorf("status with the custom key = %d, want 200", got.status)
	}
	if got := send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, ""); got.status != 400 {
		t.Errorf("status with the default key = %d, want 400", got.status)
	}
}

func TestServerSeedJSONShapes(t *testing.T) {
	fake := newFake(t)

	templates := send(t, fake, http.MethodGet, fakecoreapi.PathGetTemplates, nil, "").decode(t).([]any)
	want := []any{
		map[string]any{"id": "t123abc", "name": "paperspace/t123abc", "label": "Windows 10",
			"os": "Windows 10 (Server 2016)", "dtCreated": "2017-01-03T23:41:06.801Z"},
		map[string]any{"id": "t456def", "name": "t456def", "label": "New Template 1",
			"os":     "Ubuntu 14.04.5 LTS; uname: 4.2.0-27-generic; distro: ubuntu; major: 14; minor: 04",
			"teamId": "te456def", "userId": nil, "region": "East Coast (NY2)", "dtCreated": "2017-02-06T18:46:44.882Z"},
		map[string]any{"id": "tibsmjg", "name": "paperspace/tibsmjg", "label": nil,
			"os": "Ubuntu 16.04 Desktop", "dtCreated": "2017-06-12T18:21:56.221Z"},
	}
	if !reflect.DeepEqual(templates, want) {
		t.Errorf("templates =\n%v\nwant\n%v", templates, want)
	}

	users := send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "").decode(t)
	wantUsers := []any{map[string]any{"id": "u123abc", "email": "jon@example.com", "firstname": "Jon",
		"lastname": "Snow", "dtCreated": "2017-04-15T16:20:59.609Z", "teamId": "te456def"}}
	if !reflect.DeepEqual(users, wantUsers) {
		t.Errorf("users =\n%v\nwant\n%v", users, wantUsers)
	}

	networks := send(t, fake, http.MethodGet, fakecoreapi.PathGetNetworks, nil, "").decode(t)
	wantNetworks := []any{map[string]any{"id": "n123abc", "name": "Example Network", "region": "East Coast (NY2)",
		"dtCreated": "2016-12-22T16:36:42.613Z", "network": "10.64.21.0", "netmask": "255.255.255.0", "teamId": "te456def"}}
	if !reflect.DeepEqual(networks, wantNetworks) {
		t.Errorf("networks =\n%v\nwant\n%v", networks, wantNetworks)
	}
}

func TestServerListFilters(t *testing.T) {
	fake := newFake(t)
	fake.AddUser(paperspace.User{ID: "u2", Email: "arya@example.com", Firstname: "Arya", Lastname: "Stark", TeamID: "te456def"})
	fake.AddMachine(paperspace.Machine{ID: "ps1", Name: "one", State: "ready", UserID: "u2"})

	tests := []struct {
		name   string
		path   string
		query  url.Values
		status int
		wantN  int
	}{
		{"template by id", fakecoreapi.PathGetTemplates, url.Values{"id": {"t123abc"}}, 200, 1},
		{"template by null label", fakecoreapi.PathGetTemplates, url.Values{"label": {""}}, 200, 1},
		{"template by os", fakecoreapi.PathGetTemplates, url.Values{"os": {"Ubuntu 16.04 Desktop"}}, 200, 1},
		{"template unknown filter", fakecoreapi.PathGetTemplates, url.Values{"machineType": {"Air"}}, 400, 0},
		{"user by email", fakecoreapi.PathGetUsers, url.Values{"email": {"arya@example.com"}}, 200, 1},
		{"user email is exact", fakecoreapi.PathGetUsers, url.Values{"email": {"Arya@example.com"}}, 200, 0},
		{"user by lower-case firstname", fakecoreapi.PathGetUsers, url.Values{"firstname": {"Jon"}}, 200, 1},
		{"user camel-case firstName rejected", fakecoreapi.PathGetUsers, url.Values{"firstName": {"Jon"}}, 400, 0},
		{"user by team", fakecoreapi.PathGetUsers, url.Values{"teamId": {"te456def"}}, 200, 2},
		{"network by region", fakecoreapi.PathGetNetworks, url.Values{"region": {"Europe (AMS1)"}}, 200, 0},
		{"machine by machineId", fakecoreapi.PathGetMachines, url.Values{"machineId": {"ps1"}}, 200, 1},
		{"machine id rejected", fakecoreapi.PathGetMachines, url.Values{"id": {"ps1"}}, 400, 0},
		{"machine by userId and state", fakecoreapi.PathGetMachines, url.Values{"userId": {"u2"}, "state": {"ready"}}, 200, 1},
		{"machine state mismatch", fakecoreapi.PathGetMachines, url.Values{"state": {"off"}}, 200, 0},
		{"machine limit zero", fakecoreapi.PathGetMachines, url.Values{"limit": {"0"}}, 400, 0},
		{"machine skip negative", fakecoreapi.PathGetMachines, url.Values{"skip": {"-1"}}, 400, 0},
		{"machine skip past end", fakecoreapi.PathGetMachines, url.Values{"skip": {"5"}}, 200, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, fake, http.MethodGet, tt.path, tt.query, "")
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.status, got.body)
			}
			if tt.status != 200 {
				return
			}
			if items, _ := got.decode(t).([]any); len(items) != tt.wantN {
				t.Errorf("got %d items, want %d: %s", len(items), tt.wantN, got.body)
			}
		})
	}
}

func TestServerRecordsRequests(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	fake := newFake(t, fakecoreapi.WithClock(func() time.Time { return at }))

	send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, url.Values{"email": {"a+b@example.com"}}, "")
	send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, validCreateBody)

	all := fake.Requests()
	if len(all) != 2 {
		t.Fatalf("Requests() has %d entries, want 2", len(all))
	}
	first := all[0]
	if first.Method != http.MethodGet || first.Path != fakecoreapi.PathGetUsers {
		t.Errorf("first = %s %s, want GET %s", first.Method, first.Path, fakecoreapi.PathGetUsers)
	}
	if first.RawQuery != "email=a%2Bb%40example.com" {
		t.Errorf("RawQuery = %q, want %q", first.RawQuery, "email=a%2Bb%40example.com")
	}
	if got := first.Query.Get("email"); got != "a+b@example.com" {
		t.Errorf("Query email = %q, want %q", got, "a+b@example.com")
	}
	if got := first.Header.Get("x-api-key"); got != fakecoreapi.DefaultAPIKey {
		t.Errorf("Header x-api-key = %q, want %q", got, fakecoreapi.DefaultAPIKey)
	}
	if !first.At.Equal(at) {
		t.Errorf("At = %v, want %v", first.At, at)
	}

	creates := fake.RequestsTo(fakecoreapi.PathCreateMachine)
	if len(creates) != 1 {
		t.Fatalf("RequestsTo(create) has %d entries, want 1", len(creates))
	}
	if !bytes.Equal(creates[0].Body, []byte(validCreateBody)) {
		t.Errorf("Body = %s, want %s", creates[0].Body, validCreateBody)
	}

	creates[0].Body[0] = 'X'
	creates[0].Header.Set("x-api-key", "changed")
	if again := fake.RequestsTo(fakecoreapi.PathCreateMachine)[0]; again.Body[0] == 'X' || again.Header.Get("x-api-key") == "changed" {
		t.Error("changing a returned Recorded changed the fake's copy")
	}

	fake.Reset()
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("Requests() after Reset has %d entries, want 0", n)
	}
	if n := len(fake.Machines()); n != 1 {
		t.Errorf("Machines() after Reset has %d entries, want 1 because Reset keeps data", n)
	}
}

func TestServerWaitForRequests(t *testing.T) {
	fake := newFake(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	done := make(chan error, 1)
	go func() {
		_, err := fake.WaitForRequests(ctx, fakecoreapi.PathGetUsers, 2)
		done <- err
	}()
	send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "")
	send(t, fake, http.MethodGet, fakecoreapi.PathGetTemplates, nil, "")
	send(t, fake, http.MethodGet, fakecoreapi.PathGetUsers, nil, "")
	if err := <-done; err != nil {
		t.Errorf("WaitForRequests error: %v", err)
	}

	short, cancelShort := context.WithCancel(context.Background())
	cancelShort()
	got, err := fake.WaitForRequests(short, fakecoreapi.PathGetUsers, 3)
	if err == nil {
		t.Error("WaitForRequests with a cancelled context error = nil, want an error")
	}
	if len(got) != 2 {
		t.Errorf("WaitForRequests returned %d requests, want the 2 recorded", len(got))
	}
}

func TestServerHandlerOnOwnListener(t *testing.T) {
	fake := fakecoreapi.New()
	defer fake.Close()
	own := httptest.NewServer(fake.Handler())
	defer own.Close()

	client, err := paperspace.NewClient(own.URL+fakecoreapi.DefaultBasePath, fakecoreapi.DefaultAPIKey)
	if err != nil {
		t.Fatalf("NewClient error: %v", err)
	}
	users, err := client.ListUsers(context.Background(), paperspace.UserFilter{})
	if err != nil {
		t.Fatalf("ListUsers error: %v", err)
	}
	if len(users) != 1 {
		t.Errorf("got %d users, want 1", len(users))
	}
	if n := len(fake.RequestsTo(fakecoreapi.PathGetUsers)); n != 1 {
		t.Errorf("fake recorded %d requests, want 1", n)
	}
}

func TestServerAvailability(t *testing.T) {
	fake := newFake(t)
	fake.SetAvailability("Europe (AMS1)", "V100", false)
	tests := []struct {
		name   string
		query  url.Values
		status int
		want   any
	}{
		{"default true", url.Values{"region": {"East Coast (NY2)"}, "machineType": {"GPU+"}}, 200, map[string]any{"available": true}},
		{"set false", url.Values{"region": {"Europe (AMS1)"}, "machineType": {"V100"}}, 200, map[string]any{"available": false}},
		{"missing region", url.Values{"machineType": {"V100"}}, 400, nil},
		{"missing machine type", url.Values{"region": {"Europe (AMS1)"}}, 400, nil},
		{"unknown region", url.Values{"region": {"NY2"}, "machineType": {"V100"}}, 400, nil},
		{"plus sent unencoded", url.Values{"region": {"Europe (AMS1)"}, "machineType": {"GPU "}}, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := send(t, fake, http.MethodGet, fakecoreapi.PathGetAvailability, tt.query, "")
			if got.status != tt.status {
				t.Fatalf("status = %d, want %d (body %s)", got.status, tt.status, got.body)
			}
			if tt.want != nil && !reflect.DeepEqual(got.decode(t), tt.want) {
				t.Errorf("body = %s, want %v", got.body, tt.want)
			}
		})
	}
}

func TestServerStateControl(t *testing.T) {
	fake := newFake(t)
	fake.AddMachine(paperspace.Machine{ID: "ps1", Name: "one", State: "off"})
	client := newClient(t, fake)

	if !fake.SetMachineState("ps1", "ready") {
		t.Fatal("SetMachineState(ps1) = false, want true")
	}
	if fake.SetMachineState("psnone", "ready") {
		t.Error("SetMachineState(psnone) = true, want false")
	}
	if !fake.AddEvent("ps1", paperspace.Event{Name: "start", State: "error", ErrorMsg: "no capacity"}) {
		t.Fatal("AddEvent(ps1) = false, want true")
	}

	machine, err := client.GetMachine(context.Background(), "ps1")
	if err != nil {
		t.Fatalf("GetMachine error: %v", err)
	}
	if machine.State != "ready" {
		t.Errorf("State = %q, want ready", machine.State)
	}
	if len(machine.Events) != 1 {
		t.Fatalf("got %d events, want 1: %+v", len(machine.Events), machine.Events)
	}
	if machine.Events[0].ErrorMsg != "no capacity" {
		t.Errorf("event ErrorMsg = %q, want %q", machine.Events[0].ErrorMsg, "no capacity")
	}
	if machine.Events[0].Handle == "" {
		t.Error("event Handle is empty, want a random handle")
	}

	for i := range 15 {
		fake.AddEvent("ps1", paperspace.Event{Name: "restart", Handle: string(rune('a' + i))})
	}
	machine, err = client.GetMachine(context.Background(), "ps1")
	if err != nil {
		t.Fatalf("GetMachine error: %v", err)
	}
	if len(machine.Events) != 10 {
		t.Errorf("got %d events, want the latest 10", len(machine.Events))
	}
	if last := machine.Events[len(machine.Events)-1].Handle; last != "o" {
		t.Errorf("last event handle = %q, want %q", last, "o")
	}
	if n := len(fake.Machines()[0].Events); n != 16 {
		t.Errorf("Machines() keeps %d events, want all 16", n)
	}

	fake.SetTemplates([]paperspace.Template{{ID: "tnew", Name: "tnew", Label: "New"}})
	templates, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{})
	if err != nil {
		t.Fatalf("ListTemplates error: %v", err)
	}
	if len(templates) != 1 || templates[0].ID != "tnew" {
		t.Errorf("ListTemplates after SetTemplates = %+v, want only tnew", templates)
	}

	fake.SetNetworks(nil)
	networks, err := client.ListNetworks(context.Background(), paperspace.NetworkFilter{})
	if err != nil {
		t.Fatalf("ListNetworks error: %v", err)
	}
	if len(networks) != 0 {
		t.Errorf("ListNetworks after SetNetworks(nil) = %+v, want none", networks)
	}
}

func TestServerWithTemplates(t *testing.T) {
	fake := newFake(t, fakecoreapi.WithTemplates([]paperspace.Template{{ID: "tonly", Name: "paperspace/tonly"}}))
	body := strings.Replace(validCreateBody, `"t123abc"`, `"tonly"`, 1)

	if got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, body); got.status != 200 {
		t.Errorf("create with the only template: status %d, body %s; want 200", got.status, got.body)
	}
	if got := send(t, fake, http.MethodPost, fakecoreapi.PathCreateMachine, nil, validCreateBody); got.status != 400 {
		t.Errorf("create with a seed template that was replaced: status %d, want 400", got.status)
	}
}
