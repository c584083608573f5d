package paperspace_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// fastRetry retries quickly so that tests of retries stay fast.
var fastRetry = paperspace.RetryPolicy{
	MaxAttempts:    4,
	MinWait:        time.Millisecond,
	MaxWait:        5 * time.Millisecond,
	AttemptTimeout: 10 * time.Second,
}

// newFake starts a fake Core API that closes with the test.
func newFake(t *testing.T, opts ...fakecoreapi.Option) *fakecoreapi.Server {
	t.Helper()
	fake := fakecoreapi.New(opts...)
	t.Cleanup(fake.Close)
	return fake
}

// newClient returns a client for fake with the fake's default key and
// fastRetry, plus opts.
func newClient(t *testing.T, fake *fakecoreapi.Server, opts ...paperspace.Option) *paperspace.Client {
	t.Helper()
	opts = append([]paperspace.Option{paperspace.WithRetryPolicy(fastRetry)}, opts...)
	client, err := paperspace.NewClient(fake.URL(), fakecoreapi.DefaultAPIKey, opts...)
	if err != nil {
		t.Fatalf("NewClient(%q) error: %v", fake.URL(), err)
	}
	return client
}

// callRecorder collects the Calls that a client reports.
type callRecorder struct {
	mu    sync.Mutex
	calls []paperspace.Call
}

func (r *callRecorder) observe(call paperspace.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func (r *callRecorder) all() []paperspace.Call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]paperspace.Call(nil), r.calls...)
}

func TestNewClientRejectsInvalidInput(t *testing.T) {
	tests := []struct {
		name    string
		baseURL string
		apiKey  string
	}{
		{"empty key", "https://api.paperspace.io", ""},
		{"unparsable URL", "http://[::1", "key"},
		{"no scheme", "api.paperspace.io", "key"},
		{"ftp scheme", "ftp://api.paperspace.io", "key"},
		{"no host", "https:///core", "key"},
		{"query", "https://api.paperspace.io/?x=1", "key"},
		{"fragment", "https://api.paperspace.io/#top", "key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, err := paperspace.NewClient(tt.baseURL, tt.apiKey)
			if err == nil {
				t.Fatalf("NewClient(%q) = %v, want an error", tt.baseURL, client)
			}
		})
	}
}

func TestNewClientKeepsBasePath(t *testing.T) {
	tests := []struct {
		name     string
		basePath string
		suffix   string
	}{
		{"default base path", "/core", ""},
		{"trailing slash", "/core", "/"},
		{"deeper base path", "/api/legacy", ""},
		{"deeper with slash", "/api/legacy", "/"},
		{"root", "", ""},
		{"root with slash", "", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fakecoreapi.WithBasePath(tt.basePath))
			client, err := paperspace.NewClient(fake.URL()+tt.suffix, fakecoreapi.DefaultAPIKey)
			if err != nil {
				t.Fatalf("NewClient error: %v", err)
			}

			if _, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{}); err != nil {
				t.Fatalf("ListTemplates error: %v", err)
			}
			requests := fake.Requests()
			if len(requests) != 1 {
				t.Fatalf("got %d requests, want 1", len(requests))
			}
			if got, want := requests[0].Path, "/templates/getTemplates"; got != want {
				t.Errorf("request path = %q, want %q", got, want)
			}
		})
	}
}

func TestClientSendsHeaders(t *testing.T) {
	tests := []struct {
		name      string
		opts      []paperspace.Option
		wantAgent string
	}{
		{"default agent", nil, paperspace.DefaultUserAgent},
		{"custom agent", []paperspace.Option{paperspace.WithUserAgent("bot/1.2")}, "bot/1.2"},
		{"empty agent keeps default", []paperspace.Option{paperspace.WithUserAgent("")}, paperspace.DefaultUserAgent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			client := newClient(t, fake, tt.opts...)

			if _, err := client.ListUsers(context.Background(), paperspace.UserFilter{}); err != nil {
				t.Fatalf("ListUsers error: %v", err)
			}
			header := fake.RequestsTo(fakecoreapi.PathGetUsers)[0].Header
			if got, want := header.Get("x-api-key"), fakecoreapi.DefaultAPIKey; got != want {
				t.Errorf("x-api-key = %q, want %q", got, want)
			}
			if got, want := header.Get("Accept"), "application/json"; got != want {
				t.Errorf("Accept = %q, want %q", got, want)
			}
			if got := header.Get("User-Agent"); got != tt.wantAgent {
				t.Errorf("User-Agent = %q, want %q", got, tt.wantAgent)
			}
			if got := header.Get("Content-Type"); got != "" {
				t.Errorf("Content-Type on a GET = %q, want none", got)
			}
		})
	}
}

func TestClientUsesGivenHTTPClient(t *testing.T) {
	fake := newFake(t)
	transport := &countingTransport{next: http.DefaultTransport}
	client := newClient(t, fake, paperspace.WithHTTPClient(&http.Client{Transport: transport}))

	if _, err := client.ListNetworks(context.Background(), paperspace.NetworkFilter{}); err != nil {
		t.Fatalf("ListNetworks error: %v", err)
	}
	if got := transport.count(); got != 1 {
		t.Errorf("requests through the given client = %d, want 1", got)
	}
}

type countingTransport struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    int
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.next.RoundTrip(req)
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestGetRetriesRetryableFailures(t *testing.T) {
	tests := []struct {
		name    string
		failure fakecoreapi.Failure
	}{
		{"500", fakecoreapi.Failure{Status: 500, Body: `{"error":{"name":"Error","status":500,"message":"boom"}}`}},
		{"502 HTML", fakecoreapi.Failure{Status: 502, Body: "<html>Bad Gateway</html>"}},
		{"503", fakecoreapi.Failure{Status: 503}},
		{"429", fakecoreapi.Failure{Status: 429, Body: `{"message":"Too many requests"}`}},
		{"closed connection", fakecoreapi.Failure{CloseConnection: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			tt.failure.Times = 2
			fake.Fail(fakecoreapi.PathGetTemplates, tt.failure)
			calls := &callRecorder{}
			// A fresh connection for every attempt stops net/http from
			// silently resending a GET on a reused connection that broke.
			httpClient := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
			client := newClient(t, fake, paperspace.WithObserver(calls.observe), paperspace.WithHTTPClient(httpClient))

			templates, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{})
			if err != nil {
				t.Fatalf("ListTemplates error: %v", err)
			}
			if got, want := len(templates), 3; got != want {
				t.Errorf("got %d templates, want %d", got, want)
			}
			if got, want := len(fake.RequestsTo(fakecoreapi.PathGetTemplates)), 3; got != want {
				t.Errorf("server saw %d requests, want %d", got, want)
			}
			got := calls.all()
			if len(got) != 3 {
				t.Fatalf("observer saw %d calls, want 3: %+v", len(got), got)
			}
			for i, call := range got {
				if call.Attempt != i+1 {
					t.Errorf("call %d Attempt = %d, want %d", i, call.Attempt, i+1)
				}
				if call.Method != http.MethodGet || call.Endpoint != "/templates/getTemplates" {
					t.Errorf("call %d = %s %s, want GET /templates/getTemplates", i, call.Method, call.Endpoint)
				}
				if (i < 2) != (call.Err != nil) {
					t.Errorf("call %d Err = %v, want an error only on the first two", i, call.Err)
				}
			}
			if got[0].StatusCode != tt.failure.Status {
				t.Errorf("first call StatusCode = %d, want %d", got[0].StatusCode, tt.failure.Status)
			}
			if got[2].StatusCode != http.StatusOK {
				t.Errorf("last call StatusCode = %d, want 200", got[2].StatusCode)
			}
		})
	}
}

func TestGetGivesUpAfterMaxAttempts(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetMachines, fakecoreapi.Failure{Status: 500, Body: "down"})
	client := newClient(t, fake)

	_, err := client.ListMachines(context.Background(), paperspace.MachineFilter{})
	var apiErr *paperspace.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("ListMachines error = %v, want a *paperspace.Error", err)
	}
	if apiErr.StatusCode != 500 {
		t.Errorf("StatusCode = %d, want 500", apiErr.StatusCode)
	}
	if got, want := len(fake.RequestsTo(fakecoreapi.PathGetMachines)), fastRetry.MaxAttempts; got != want {
		t.Errorf("server saw %d requests, want %d", got, want)
	}
}

func TestGetDoesNotRetry(t *testing.T) {
	tests := []struct {
		name    string
		failure fakecoreapi.Failure
	}{
		{"400", fakecoreapi.Failure{Status: 400, Body: `{"error":{"name":"Error","status":400,"message":"bad"}}`}},
		{"404", fakecoreapi.Failure{Status: 404}},
		{"501", fakecoreapi.Failure{Status: 501}},
		{"undecodable 200", fakecoreapi.Failure{Status: 200, Body: "{not json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathGetUsers, tt.failure)
			client := newClient(t, fake)

			if _, err := client.ListUsers(context.Background(), paperspace.UserFilter{}); err == nil {
				t.Fatal("ListUsers error = nil, want an error")
			}
			if got := len(fake.RequestsTo(fakecoreapi.PathGetUsers)); got != 1 {
				t.Errorf("server saw %d requests, want 1", got)
			}
		})
	}
}

func TestGetMaxAttemptsBelowOneMeansOne(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetUsers, fakecoreapi.Failure{Status: 500})
	client := newClient(t, fake, paperspace.WithRetryPolicy(paperspace.RetryPolicy{MaxAttempts: 0}))

	if _, err := client.ListUsers(context.Background(), paperspace.UserFilter{}); err == nil {
		t.Fatal("ListUsers error = nil, want an error")
	}
	if got := len(fake.RequestsTo(fakecoreapi.PathGetUsers)); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestGetRetriesAfterAttemptTimeout(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetNetworks, fakecoreapi.Failure{Delay: time.Hour, Times: 1})
	policy := fastRetry
	policy.AttemptTimeout = 50 * time.Millisecond
	calls := &callRecorder{}
	client := newClient(t, fake, paperspace.WithRetryPolicy(policy), paperspace.WithObserver(calls.observe))

	networks, err := client.ListNetworks(context.Background(), paperspace.NetworkFilter{})
	if err != nil {
		t.Fatalf("ListNetworks error: %v", err)
	}
	if len(networks) != 1 {
		t.Errorf("got %d networks, want 1", len(networks))
	}
	got := calls.all()
	if len(got) != 2 {
		t.Fatalf("observer saw %d calls, want 2", len(got))
	}
	if !errors.Is(got[0].Err, context.DeadlineExceeded) {
		t.Errorf("first call Err = %v, want a deadline error", got[0].Err)
	}
	if !strings.Contains(got[0].Err.Error(), "attempt timed out") {
		t.Errorf("first call Err = %q, want it to say the attempt timed out", got[0].Err)
	}
}

func TestGetStopsWaitingWhenContextEnds(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetTemplates, fakecoreapi.Failure{Status: 503})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// A wait of an hour between attempts: only the cancellation can end it.
	policy := paperspace.RetryPolicy{MaxAttempts: 5, MinWait: time.Hour, MaxWait: time.Hour}
	cancelAfterFirst := func(paperspace.Call) { cancel() }
	client := newClient(t, fake, paperspace.WithRetryPolicy(policy), paperspace.WithObserver(cancelAfterFirst))

	_, err := client.ListTemplates(ctx, paperspace.TemplateFilter{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("ListTemplates error = %v, want context.Canceled", err)
	}
	var apiErr *paperspace.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Errorf("ListTemplates error = %v, want it to wrap the last 503", err)
	}
	if got := len(fake.RequestsTo(fakecoreapi.PathGetTemplates)); got != 1 {
		t.Errorf("server saw %d requests, want 1", got)
	}
}

func TestGetHonoursRetryAfterCappedAtMaxWait(t *testing.T) {
	fake := newFake(t)
	// Retry-After requests an hour. MaxWait of 5 ms caps it, so the call
	// returns. Without the cap the test would time out.
	fake.Fail(fakecoreapi.PathGetTemplates, fakecoreapi.Failure{Status: 429, Times: 1})
	client := newClient(t, fake, paperspace.WithHTTPClient(&http.Client{Transport: retryAfterTransport{"3600"}}))

	if _, err := client.ListTemplates(context.Background(), paperspace.TemplateFilter{}); err != nil {
		t.Fatalf("ListTemplates error: %v", err)
	}
	if got := len(fake.RequestsTo(fakecoreapi.PathGetTemplates)); got != 2 {
		t.Errorf("server saw %d requests, want 2", got)
	}
}

// retryAfterTransport adds a Retry-After header to every 429 and 503.
type retryAfterTransport struct{ value string }

func (t retryAfterTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err == nil && (resp.StatusCode == 429 || resp.StatusCode == 503) {
		resp.Header.Set("Retry-After", t.value)
	}
	return resp, err
}

func TestAPIKeyNeverInErrors(t *testing.T) {
	const key = "secret-key-4f1c9a"
	tests := []struct {
		name    string
		prepare func(fake *fakecoreapi.Server)
		baseURL func(fake *fakecoreapi.Server) string
	}{
		{
			name:    "invalid key",
			prepare: func(fake *fakecoreapi.Server) {},
		},
		{
			name: "server echoes the key",
			prepare: func(fake *fakecoreapi.Server) {
				fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{Status: 400, Body: `{"message":"Invalid API token ` + key + `"}`})
			},
		},
		{
			name: "500",
			prepare: func(fake *fakecoreapi.Server) {
				fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{Status: 500})
			},
		},
		{
			name: "closed connection",
			prepare: func(fake *fakecoreapi.Server) {
				fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{CloseConnection: true})
			},
		},
		{
			name: "undecodable body",
			prepare: func(fake *fakecoreapi.Server) {
				fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{Status: 200, Body: `{"id": 12`})
			},
		},
		{
			name:    "connection refused",
			prepare: func(fake *fakecoreapi.Server) { fake.Close() },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t, fakecoreapi.WithAPIKey("another-key"))
			tt.prepare(fake)
			calls := &callRecorder{}
			client, err := paperspace.NewClient(fake.URL(), key,
				paperspace.WithRetryPolicy(fastRetry), paperspace.WithObserver(calls.observe))
			if err != nil {
				t.Fatalf("NewClient error: %v", err)
			}

			_, err = client.GetMachine(context.Background(), "ps123abc")
			if err == nil {
				t.Fatal("GetMachine error = nil, want an error")
			}
			if strings.Contains(err.Error(), key) {
				t.Errorf("error text contains the API key: %q", err)
			}
			for _, call := range calls.all() {
				if call.Err != nil && strings.Contains(call.Err.Error(), key) {
					t.Errorf("Call.Err contains the API key: %q", call.Err)
				}
			}
		})
	}
}

func TestClientDoesNotFollowRedirects(t *testing.T) {
	fake := newFake(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, fake.URL()+"/machines/createSingleMachinePublic", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	client, err := paperspace.NewClient(redirector.URL+"/core", fakecoreapi.DefaultAPIKey, paperspace.WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatalf("NewClient error: %v", err)
	}

	_, err = client.CreateMachine(context.Background(), validCreateRequest())
	var apiErr *paperspace.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusTemporaryRedirect {
		t.Errorf("CreateMachine error = %v, want a *paperspace.Error with status 307", err)
	}
	if n := len(fake.Requests()); n != 0 {
		t.Errorf("redirect target saw %d requests, want 0", n)
	}
}

func TestObserverSeesDecodeError(t *testing.T) {
	fake := newFake(t)
	fake.Fail(fakecoreapi.PathGetMachine, fakecoreapi.Failure{Status: 200, Body: `{"id":`})
	calls := &callRecorder{}
	client := newClient(t, fake, paperspace.WithObserver(calls.observe))

	if _, err := client.GetMachine(context.Background(), "ps1"); !errors.Is(err, paperspace.ErrInvalidResponse) {
		t.Fatalf("GetMachine error = %v, want ErrInvalidResponse", err)
	}
	got := calls.all()
	if len(got) != 1 {
		t.Fatalf("observer saw %d calls, want 1", len(got))
	}
	if got[0].StatusCode != 200 || !errors.Is(got[0].Err, paperspace.ErrInvalidResponse) {
		t.Errorf("call = %+v, want status 200 and ErrInvalidResponse", got[0])
	}
}
