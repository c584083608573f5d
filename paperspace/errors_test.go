package paperspace_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// errorBodyCases are error bodies of every shape, with the Error that
// each must become.
var errorBodyCases = []struct {
	name   string
	status int
	body   string
	want   paperspace.Error
}{
	{
		name:   "nested",
		status: 400,
		body:   `{"error":{"name":"Error","status":400,"message":"templateId not found"}}`,
		want:   paperspace.Error{StatusCode: 400, Name: "Error", Message: "templateId not found", Field: "templateId"},
	},
	{
		name:   "nested 404",
		status: 404,
		body:   `{"error":{"name":"Error","status":404,"message":"Not found. Please contact support@paperspace.com for help."}}`,
		want:   paperspace.Error{StatusCode: 404, Name: "Error", Message: "Not found. Please contact support@paperspace.com for help."},
	},
	{
		name:   "flat invalid key",
		status: 400,
		body:   `{"status":400,"message":"Invalid API token"}`,
		want:   paperspace.Error{StatusCode: 400, Message: "Invalid API token"},
	},
	{
		name:   "nested error as a string",
		status: 500,
		body:   `{"error":"database unavailable"}`,
		want:   paperspace.Error{StatusCode: 500, Message: "database unavailable"},
	},
	{
		name:   "new API code and message",
		status: 400,
		body:   `{"code":"BAD_REQUEST","message":"machineName must be shorter"}`,
		want:   paperspace.Error{StatusCode: 400, Name: "BAD_REQUEST", Message: "machineName must be shorter", Field: "machineName"},
	},
	{
		name:   "title",
		status: 422,
		body:   `{"title":"Unprocessable region value"}`,
		want:   paperspace.Error{StatusCode: 422, Message: "Unprocessable region value", Field: "region"},
	},
	{
		name:   "errors array",
		status: 400,
		body:   `{"errors":["size must be a number","region is required"]}`,
		want:   paperspace.Error{StatusCode: 400, Message: "size must be a number; region is required", Field: "size"},
	},
	{
		name:   "errors array of objects",
		status: 400,
		body:   `{"errors":[{"message":"email is taken"},{"message":"other"}]}`,
		want:   paperspace.Error{StatusCode: 400, Message: "email is taken; other", Field: "email"},
	},
	{
		name:   "details only",
		status: 400,
		body:   `{"details":{"size":["must be a number"],"region":"is required"}}`,
		want:   paperspace.Error{StatusCode: 400, Message: "size: must be a number; region: is required", Field: "size"},
	},
	{
		name:   "message with details",
		status: 400,
		body:   `{"message":"Validation failed","details":{"notificationEmail":"is invalid"}}`,
		want:   paperspace.Error{StatusCode: 400, Message: "Validation failed (notificationEmail: is invalid)", Field: "notificationEmail"},
	},
	{
		name:   "details key not a request field",
		status: 400,
		body:   `{"message":"Validation failed","details":{"body.size":"too big"}}`,
		want:   paperspace.Error{StatusCode: 400, Message: "Validation failed (body.size: too big)", Field: "size"},
	},
	{
		name:   "details key used when message names nothing",
		status: 400,
		body:   `{"message":"Validation failed","details":{"quota":"exceeded"}}`,
		want:   paperspace.Error{StatusCode: 400, Message: "Validation failed (quota: exceeded)", Field: "quota"},
	},
	{
		name:   "unknown keys",
		status: 409,
		body:   `{"reason": "conflict", "retry": false}`,
		want:   paperspace.Error{StatusCode: 409, Message: `{"reason":"conflict","retry":false}`},
	},
	{
		name:   "JSON string",
		status: 500,
		body:   `"Internal failure"`,
		want:   paperspace.Error{StatusCode: 500, Message: "Internal failure"},
	},
	{
		name:   "HTML",
		status: 502,
		body:   "<html>\n  <body>502   Bad Gateway</body>\n</html>\n",
		want:   paperspace.Error{StatusCode: 502, Message: "<html> <body>502 Bad Gateway</body> </html>"},
	},
	{
		name:   "plain text",
		status: 503,
		body:   "  upstream connect error  ",
		want:   paperspace.Error{StatusCode: 503, Message: "upstream connect error"},
	},
	{
		name:   "empty",
		status: 500,
		body:   "",
		want:   paperspace.Error{StatusCode: 500, Message: "Internal Server Error"},
	},
	{
		name:   "empty object",
		status: 404,
		body:   "{}",
		want:   paperspace.Error{StatusCode: 404, Message: "Not Found"},
	},
	{
		name:   "null",
		status: 500,
		body:   "null",
		want:   paperspace.Error{StatusCode: 500, Message: "Internal Server Error"},
	},
	{
		name:   "nested without message",
		status: 500,
		body:   `{"error":{"name":"Error","status":500}}`,
		want:   paperspace.Error{StatusCode: 500, Name: "Error", Message: `{"error":{"name":"Error","status":500}}`},
	},
}

func TestCheckResponseBodyShapes(t *testing.T) {
	for _, tt := range errorBodyCases {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1/core/machines/getMachinePublic?machineId=x", nil)
			resp := &http.Response{StatusCode: tt.status, Body: io.NopCloser(strings.NewReader(tt.body)), Request: req}

			err := paperspace.CheckResponse(resp)
			var got *paperspace.Error
			if !errors.As(err, &got) {
				t.Fatalf("CheckResponse error = %v, want a *paperspace.Error", err)
			}
			want := tt.want
			want.Method, want.Endpoint = http.MethodGet, "/core/machines/getMachinePublic"
			if *got != want {
				t.Errorf("CheckResponse =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestClientErrorBodyShapes(t *testing.T) {
	for _, tt := range errorBodyCases {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: tt.status, Body: tt.body})
			client := newClient(t, fake)

			_, err := client.CreateMachine(context.Background(), validCreateRequest())
			var got *paperspace.Error
			if !errors.As(err, &got) {
				t.Fatalf("CreateMachine error = %v, want a *paperspace.Error", err)
			}
			want := tt.want
			want.Method, want.Endpoint = http.MethodPost, "/machines/createSingleMachinePublic"
			if *got != want {
				t.Errorf("error =\n%+v\nwant\n%+v", *got, want)
			}
		})
	}
}

func TestCheckResponseAcceptsEvery2xx(t *testing.T) {
	for _, status := range []int{200, 201, 202, 204, 299} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			resp := &http.Response{StatusCode: status, Body: io.NopCloser(strings.NewReader(""))}
			if err := paperspace.CheckResponse(resp); err != nil {
				t.Errorf("CheckResponse(%d) = %v, want nil", status, err)
			}
		})
	}
}

func TestCheckResponseCutsLongText(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"ASCII", strings.Repeat("a", 5000)},
		{"multi-byte", strings.Repeat("é", 400)},
		{"larger than 64 KiB", strings.Repeat("x ", 100<<10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 500, Body: io.NopCloser(strings.NewReader(tt.body))}
			var apiErr *paperspace.Error
			if !errors.As(paperspace.CheckResponse(resp), &apiErr) {
				t.Fatal("CheckResponse did not return a *paperspace.Error")
			}
			if got := utf8.RuneCountInString(apiErr.Message); got != 300 {
				t.Errorf("message has %d characters, want 300", got)
			}
			if !utf8.ValidString(apiErr.Message) {
				t.Errorf("message is not valid UTF-8: %q", apiErr.Message)
			}
		})
	}
}

func TestCheckResponseReadsAtMost64KiB(t *testing.T) {
	body := &countingReader{reader: strings.NewReader(strings.Repeat("z", 1<<20))}
	resp := &http.Response{StatusCode: 500, Body: io.NopCloser(body)}

	_ = paperspace.CheckResponse(resp)
	if body.n > 64<<10 {
		t.Errorf("read %d bytes of the body, want at most %d", body.n, 64<<10)
	}
}

type countingReader struct {
	reader io.Reader
	n      int
}

func (r *countingReader) Read(p []byte) (int, error) {
	n, err := r.reader.Read(p)
	r.n += n
	return n, err
}

func TestErrorFieldFromMessage(t *testing.T) {
	tests := []struct {
		message string
		want    string
	}{
		{"templateId not found", "templateId"},
		{"Invalid API token", ""},
		{"Email already associated with a Paperspace account", "email"},
		{"email jon@example.com is already associated with a Paperspace account", "email"},
		{"userId cannot be combined with email, password, firstName or lastName", "userId"},
		{"password is required to create a user", "password"},
		{"machineId is required", "machineId"},
		{"Unknown field \"assignPublicIP\"", "assignPublicIp"},
		{"notificationEmail is invalid", "notificationEmail"},
		{"the region's capacity is gone", "region"},
		{"sizeGB is wrong", ""},
		{"machine_type is wrong", ""},
		{"Machine not found", ""},
		{"Not found. Please contact support@paperspace.com for help.", ""},
		{"Invalid value for size: must be a number", "size"},
	}
	for _, tt := range tests {
		t.Run(tt.message, func(t *testing.T) {
			body := fmt.Sprintf(`{"error":{"name":"Error","status":400,"message":%q}}`, tt.message)
			resp := &http.Response{StatusCode: 400, Body: io.NopCloser(strings.NewReader(body))}
			var apiErr *paperspace.Error
			if !errors.As(paperspace.CheckResponse(resp), &apiErr) {
				t.Fatal("CheckResponse did not return a *paperspace.Error")
			}
			if apiErr.Field != tt.want {
				t.Errorf("Field for %q = %q, want %q", tt.message, apiErr.Field, tt.want)
			}
		})
	}
}

func TestErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  paperspace.Error
		want string
	}{
		{
			"message",
			paperspace.Error{StatusCode: 400, Message: "templateId not found", Method: "POST", Endpoint: "/machines/createSingleMachinePublic"},
			"POST /machines/createSingleMachinePublic: 400 Bad Request: templateId not found",
		},
		{
			"message is the status text",
			paperspace.Error{StatusCode: 502, Message: "Bad Gateway", Method: "GET", Endpoint: "/users/getUsers"},
			"GET /users/getUsers: 502 Bad Gateway",
		},
		{
			"unknown status",
			paperspace.Error{StatusCode: 599, Message: "odd", Method: "GET", Endpoint: "/users/getUsers"},
			"GET /users/getUsers: 599: odd",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsInvalidAPIKey(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"400 Invalid API token", &paperspace.Error{StatusCode: 400, Message: "Invalid API token"}, true},
		{"400 api key not valid", &paperspace.Error{StatusCode: 400, Message: "The API key is not valid"}, true},
		{"400 expired api-key", &paperspace.Error{StatusCode: 400, Message: "expired api-key"}, true},
		{"400 other", &paperspace.Error{StatusCode: 400, Message: "templateId not found"}, false},
		{"400 token alone", &paperspace.Error{StatusCode: 400, Message: "Invalid token in body"}, false},
		{"401", &paperspace.Error{StatusCode: 401, Message: "Unauthorized"}, true},
		{"403", &paperspace.Error{StatusCode: 403}, true},
		{"404", &paperspace.Error{StatusCode: 404, Message: "Invalid API token"}, false},
		{"wrapped", fmt.Errorf("list users: %w", &paperspace.Error{StatusCode: 401}), true},
		{"transport", &paperspace.TransportError{Err: io.EOF}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paperspace.IsInvalidAPIKey(tt.err); got != tt.want {
				t.Errorf("IsInvalidAPIKey(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsNotFound(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"404", &paperspace.Error{StatusCode: 404}, true},
		{"wrapped 404", fmt.Errorf("get machine: %w", &paperspace.Error{StatusCode: 404}), true},
		{"400", &paperspace.Error{StatusCode: 400}, false},
		{"plain error", errors.New("not found"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paperspace.IsNotFound(tt.err); got != tt.want {
				t.Errorf("IsNotFound(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestIsUnknownOutcome(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"400", &paperspace.Error{StatusCode: 400}, false},
		{"429", &paperspace.Error{StatusCode: 429}, false},
		{"500", &paperspace.Error{StatusCode: 500}, true},
		{"504 wrapped", fmt.Errorf("create: %w", &paperspace.Error{StatusCode: 504}), true},
		{"sent then EOF", &paperspace.TransportError{Sent: true, Err: io.ErrUnexpectedEOF}, true},
		{"not sent", &paperspace.TransportError{Sent: false, Err: context.Canceled}, false},
		{"invalid response", fmt.Errorf("x: %w", paperspace.ErrInvalidResponse), true},
		{"bare deadline", context.DeadlineExceeded, true},
		{"bare cancel", context.Canceled, false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := paperspace.IsUnknownOutcome(tt.err); got != tt.want {
				t.Errorf("IsUnknownOutcome(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestClientErrorClassification(t *testing.T) {
	tests := []struct {
		name        string
		prepare     func(t *testing.T, fake *fakecoreapi.Server) context.Context
		wantUnknown bool
		wantIs      error
	}{
		{
			name: "timeout",
			prepare: func(t *testing.T, fake *fakecoreapi.Server) context.Context {
				fake.Delay(fakecoreapi.PathCreateMachine, time.Hour)
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				t.Cleanup(cancel)
				return ctx
			},
			wantUnknown: true,
			wantIs:      context.DeadlineExceeded,
		},
		{
			name: "500",
			prepare: func(t *testing.T, fake *fakecoreapi.Server) context.Context {
				fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 500})
				return context.Background()
			},
			wantUnknown: true,
		},
		{
			name: "closed connection",
			prepare: func(t *testing.T, fake *fakecoreapi.Server) context.Context {
				fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{CloseConnection: true})
				return context.Background()
			},
			wantUnknown: true,
		},
		{
			name: "400",
			prepare: func(t *testing.T, fake *fakecoreapi.Server) context.Context {
				fake.Fail(fakecoreapi.PathCreateMachine, fakecoreapi.Failure{Status: 400, Body: `{"error":{"name":"Error","status":400,"message":"templateId not found"}}`})
				return context.Background()
			},
			wantUnknown: false,
		},
		{
			name: "cancelled before sending",
			prepare: func(t *testing.T, fake *fakecoreapi.Server) context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantUnknown: false,
			wantIs:      context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			ctx := tt.prepare(t, fake)
			client := newClient(t, fake)

			_, err := client.CreateMachine(ctx, validCreateRequest())
			if err == nil {
				t.Fatal("CreateMachine error = nil, want an error")
			}
			if got := paperspace.IsUnknownOutcome(err); got != tt.wantUnknown {
				t.Errorf("IsUnknownOutcome(%v) = %v, want %v", err, got, tt.wantUnknown)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v does not wrap %v", err, tt.wantIs)
			}
		})
	}
}

func TestConnectionRefusedIsNotUnknownOutcome(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	address := listener.Addr().String()
	listener.Close()
	client, err := paperspace.NewClient("http://"+address+"/core", "key", paperspace.WithRetryPolicy(fastRetry))
	if err != nil {
		t.Fatalf("NewClient error: %v", err)
	}

	_, err = client.CreateMachine(context.Background(), validCreateRequest())
	var transportErr *paperspace.TransportError
	if !errors.As(err, &transportErr) {
		t.Fatalf("CreateMachine error = %v, want a *paperspace.TransportError", err)
	}
	if transportErr.Sent {
		t.Errorf("Sent = true for a refused connection, want false")
	}
	if paperspace.IsUnknownOutcome(err) {
		t.Errorf("IsUnknownOutcome(%v) = true, want false", err)
	}
	var opErr *net.OpError
	if !errors.As(err, &opErr) {
		t.Errorf("error %v does not wrap a *net.OpError", err)
	}
}
