package fakecoreapi

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Failure is a fault that Fail injects into the requests to one path.
//
// Without AfterEffect or AfterUserCreated, the fault comes before the API
// key check and before any effect: the server waits Delay, then sends the
// failure. With either flag, see the field.
type Failure struct {
	// Status, Body and ContentType are the response to send. Body may have
	// any shape (nested or flat JSON, plain text, empty). An empty
	// ContentType is "application/json" for a body that is valid JSON,
	// "text/plain; charset=utf-8" for other text, and unset for an empty
	// body. A zero Status sends no failure: the request is then handled
	// normally after Delay, and Body and ContentType are ignored.
	Status      int
	Body        string
	ContentType string
	// Times is how many requests the failure applies to. Zero means every
	// request until ClearFailures.
	Times int
	// Delay is the wait before the failure is sent, or before normal
	// handling when Status is zero. It ends early, without a response, when
	// the client goes away or the server closes.
	Delay time.Duration
	// AfterEffect, on the create path, performs the whole create (user and
	// machine) first and then waits Delay and sends the failure in place of
	// the created machine: the machine exists but the response is lost. On
	// other paths it computes the normal response, then fails in its place.
	AfterEffect bool
	// AfterUserCreated, on the create path, validates the request and
	// creates the user from the new-user fields, then waits Delay and sends
	// the failure before the machine is created. A request without
	// new-user fields creates nothing. With a zero Status the create goes
	// on after Delay. On other paths it acts as AfterEffect. When both
	// flags are set, AfterUserCreated applies.
	AfterUserCreated bool
	// CloseConnection closes the TCP connection without any response, in
	// place of Status and Body.
	CloseConnection bool
}

// PasswordPlaceholder in a Failure's Body is replaced by the password of
// the create request, on the create path with AfterUserCreated, so a test
// can play a Core API that quotes the request in its error message.
const PasswordPlaceholder = "{{password}}"

// quoting returns f with PasswordPlaceholder in its body replaced by
// password.
func (f *Failure) quoting(password string) *Failure {
	if !strings.Contains(f.Body, PasswordPlaceholder) {
		return f
	}
	out := *f
	out.Body = strings.ReplaceAll(f.Body, PasswordPlaceholder, password)
	return &out
}

// replacesResponse reports whether the failure sends its own response rather
// than only delaying the normal one.
func (f *Failure) replacesResponse() bool {
	return f.Status != 0 || f.CloseConnection
}

// failureEntry is a Failure with the count of requests it may still apply
// to; remaining is -1 for no limit.
type failureEntry struct {
	failure   Failure
	remaining int
}

// Fail injects f into the requests to path (without the base path, for
// example PathCreateMachine). Failures on one path apply in the order they
// were added: the first one still active matches each request. A request
// uses up one of Times whatever it is, even one with a wrong API key.
func (s *Server) Fail(path string, f Failure) {
	entry := &failureEntry{failure: f, remaining: -1}
	if f.Times > 0 {
		entry.remaining = f.Times
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[path] = append(s.failures[path], entry)
}

// Delay makes every request to path wait d before it is handled, until
// ClearFailures. It is Fail(path, Failure{Delay: d}).
func (s *Server) Delay(path string, d time.Duration) {
	s.Fail(path, Failure{Delay: d})
}

// ClearFailures removes every injected failure and delay.
func (s *Server) ClearFailures() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures = map[string][]*failureEntry{}
}

// takeFailure returns the failure for one request to path, counting it
// against Times, or nil.
func (s *Server) takeFailure(path string) *Failure {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries := s.failures[path]
	if len(entries) == 0 {
		return nil
	}
	entry := entries[0]
	if entry.remaining > 0 {
		entry.remaining--
		if entry.remaining == 0 {
			s.failures[path] = entries[1:]
		}
	}
	failure := entry.failure
	return &failure
}

// abort closes the connection without a response. A handler that just
// returned would send an empty 200 instead.
func abort(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 and some wrappers cannot hijack. Panicking with
		// ErrAbortHandler resets the stream or closes the connection.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// writeFailure sends f's response, or closes the connection.
func (s *Server) writeFailure(w http.ResponseWriter, f *Failure) {
	if f.CloseConnection {
		abort(w)
		return
	}

	contentType := f.ContentType
	if contentType == "" && f.Body != "" {
		contentType = "text/plain; charset=utf-8"
		if json.Valid([]byte(f.Body)) {
			contentType = "application/json"
		}
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.WriteHeader(f.Status)
	_, _ = w.Write([]byte(f.Body))
}

// createHold blocks create requests until released.
type createHold struct {
	released chan struct{}
	once     sync.Once
}

// HoldCreates makes create requests wait, after they are recorded and
// before anything else happens to them, until release is called. A held
// request ends without a response, and without any effect, when its
// client goes away or the server closes. Calling HoldCreates while
// creates are held returns a release for the same hold, and release may
// be called more than once.
func (s *Server) HoldCreates() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hold == nil {
		s.hold = &createHold{released: make(chan struct{})}
	}
	hold := s.hold
	return func() {
		hold.once.Do(func() {
			s.mu.Lock()
			if s.hold == hold {
				s.hold = nil
			}
			s.mu.Unlock()
			close(hold.released)
		})
	}
}

// waitForRelease blocks while creates are held. It returns false when the
// request or the server ended first.
func (s *Server) waitForRelease(ctx context.Context) bool {
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold == nil {
		return true
	}
	select {
	case <-hold.released:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}
