// Package fakecoreapi is an in-memory fake of the Paperspace Core API
// endpoints that paperspace-bot uses, for tests and load runs. It serves
// them under a base path, checks the x-api-key header, validates creates
// as the Core API documents them, records every request, and injects
// failures on request.
//
// A Server is safe for concurrent use. Its seed data are the examples of
// the Core API documentation: templates t123abc, t456def and tibsmjg, user
// u123abc (jon@example.com, team te456def) and network n123abc. It keeps
// every request until Reset, so a long load run should call Reset from
// time to time.
package fakecoreapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Defaults of a Server made by New without options.
const (
	DefaultAPIKey     = "test-api-key"
	DefaultBasePath   = "/core"
	DefaultReadyAfter = 2
)

// API paths, relative to the base path.
const (
	PathGetTemplates    = "/templates/getTemplates"
	PathCreateMachine   = "/machines/createSingleMachinePublic"
	PathGetMachine      = "/machines/getMachinePublic"
	PathGetMachines     = "/machines/getMachines"
	PathGetUsers        = "/users/getUsers"
	PathGetNetworks     = "/networks/getNetworks"
	PathGetAvailability = "/machines/getAvailability"
)

// maxRequestBody is the largest request body the fake reads; a larger one
// gets 413.
const maxRequestBody = 1 << 20

// Server is a running fake Core API.
type Server struct {
	apiKey       string
	basePath     string
	readyAfter   int
	createStatus int
	now          func() time.Time

	httpServer *httptest.Server
	// done is closed by Close, to end delays and held creates.
	done      chan struct{}
	closeOnce sync.Once

	mu           sync.Mutex
	templates    []paperspace.Template
	users        []paperspace.User
	networks     []paperspace.Network
	machines     []*machineRecord // in creation order
	machineByID  map[string]*machineRecord
	availability map[availabilityKey]bool
	nextPublicIP int

	requests        []Recorded
	requestsChanged chan struct{} // closed and replaced when a request is recorded

	failures map[string][]*failureEntry
	hold     *createHold
}

// Option configures a Server in New.
type Option func(*Server)

// WithAPIKey sets the API key that requests must send in x-api-key. An
// empty key rejects every request.
func WithAPIKey(key string) Option {
	return func(s *Server) { s.apiKey = key }
}

// WithBasePath sets the path under which the API is served, for example
// "/core" or "/api/v1". An empty path or "/" serves at the root.
func WithBasePath(path string) Option {
	return func(s *Server) {
		path = strings.TrimRight(path, "/")
		if path != "" && !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		s.basePath = path
	}
}

// WithTemplates replaces the seed templates.
func WithTemplates(templates []paperspace.Template) Option {
	return func(s *Server) { s.templates = cloneTemplates(templates) }
}

// WithReadyAfter sets for how many getMachinePublic polls a created machine
// reports "provisioning". The next poll reports "starting", and every poll
// after that "ready". A negative n means 0.
func WithReadyAfter(n int) Option {
	return func(s *Server) { s.readyAfter = max(n, 0) }
}

// WithClock sets the clock for dtCreated, event times and Recorded.At.
// Delays use real time.
func WithClock(now func() time.Time) Option {
	return func(s *Server) {
		if now != nil {
			s.now = now
		}
	}
}

// WithCreateStatus sets the 2xx status of a successful create. The Core API
// documents 201, but real servers were reported to send 200, the default.
func WithCreateStatus(status int) Option {
	return func(s *Server) { s.createStatus = status }
}

// New starts a fake Core API on 127.0.0.1 with the seed data. Call Close
// when done.
func New(opts ...Option) *Server {
	s := newServer(opts...)
	s.httpServer = httptest.NewServer(s.Handler())
	return s
}

func newServer(opts ...Option) *Server {
	s := &Server{
		apiKey:          DefaultAPIKey,
		basePath:        DefaultBasePath,
		readyAfter:      DefaultReadyAfter,
		createStatus:    http.StatusOK,
		now:             time.Now,
		done:            make(chan struct{}),
		machineByID:     map[string]*machineRecord{},
		availability:    map[availabilityKey]bool{},
		requestsChanged: make(chan struct{}),
		failures:        map[string][]*failureEntry{},
	}
	s.templates = seedTemplates()
	s.users = seedUsers()
	s.networks = seedNetworks()
	for _, opt := range opts {
		opt(s)
	}
	return s
}

// URL returns the base URL including the base path, for example
// "http://127.0.0.1:4321/core".
func (s *Server) URL() string {
	return s.httpServer.URL + s.basePath
}

// Close releases held creates, ends pending delays and stops the server.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	if s.httpServer != nil {
		s.httpServer.Close()
	}
}

// Handler returns the fake as an http.Handler that serves requests whose
// path starts with the base path, for a caller that runs its own listener.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(s.serveHTTP)
}

// endpoint serves one API path. It returns the status and the value to
// encode as JSON.
type endpoint struct {
	method string
	serve  func(s *Server, r *http.Request) (int, any)
}

var endpoints = map[string]endpoint{
	PathGetTemplates:    {http.MethodGet, (*Server).getTemplates},
	PathGetMachine:      {http.MethodGet, (*Server).getMachine},
	PathGetMachines:     {http.MethodGet, (*Server).getMachines},
	PathGetUsers:        {http.MethodGet, (*Server).getUsers},
	PathGetNetworks:     {http.MethodGet, (*Server).getNetworks},
	PathGetAvailability: {http.MethodGet, (*Server).getAvailability},
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path, underBase := s.apiPath(r.URL.Path)

	body, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return // the client went away
	}
	s.record(r, path, body)
	if len(body) > maxRequestBody {
		writeError(w, http.StatusRequestEntityTooLarge, "Request body is larger than 1 MiB")
		return
	}
	if !underBase {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Not found: %s is outside the base path %s", r.URL.Path, s.basePath))
		return
	}

	isCreate := path == PathCreateMachine && r.Method == http.MethodPost
	if isCreate && !s.waitForRelease(r.Context()) {
		abort(w)
		return
	}

	failure := s.takeFailure(path)
	if failure != nil && !failure.AfterEffect && !failure.AfterUserCreated {
		if !s.pause(r.Context(), failure.Delay) {
			abort(w)
			return
		}
		if failure.replacesResponse() {
			s.writeFailure(w, failure)
			return
		}
		failure = nil
	}

	if r.Header.Get("x-api-key") != s.apiKey || s.apiKey == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"status": 400, "message": "Invalid API token"})
		return
	}

	if isCreate {
		s.serveCreate(w, r, body, failure)
		return
	}
	route, ok := endpoints[path]
	if !ok || route.method != r.Method {
		writeError(w, http.StatusNotFound, fmt.Sprintf("Not found: there is no %s %s", r.Method, path))
		return
	}
	status, value := route.serve(s, r)
	if failure != nil {
		if !s.pause(r.Context(), failure.Delay) {
			abort(w)
			return
		}
		if failure.replacesResponse() {
			s.writeFailure(w, failure)
			return
		}
	}
	writeJSON(w, status, value)
}

// apiPath strips the base path. It reports false, with the path unchanged,
// when the path is outside the base path.
func (s *Server) apiPath(path string) (string, bool) {
	if s.basePath == "" {
		return path, true
	}
	rest, ok := strings.CutPrefix(path, s.basePath)
	if !ok || !strings.HasPrefix(rest, "/") {
		return path, false
	}
	return rest, true
}

// pause waits for d. It returns false when the request or the server ended
// first, and then the handler must abort.
func (s *Server) pause(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// writeJSON sends value as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, value any) {
	var body bytes.Buffer
	encoder := json.NewEncoder(&body)
	encoder.SetEscapeHTML(false)
	if err := encoder.Encode(value); err != nil {
		status = http.StatusInternalServerError
		body.Reset()
		fmt.Fprintf(&body, `{"error":{"name":"Error","status":500,"message":"fake Core API: encode response: %s"}}`, jsonEscape(err.Error()))
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body.Bytes())
}

// writeError sends the Core API's nested error body.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody(status, message))
}

func errorBody(status int, message string) map[string]any {
	return map[string]any{"error": map[string]any{"name": "Error", "status": status, "message": message}}
}

func jsonEscape(text string) string {
	quoted, _ := json.Marshal(text)
	return string(quoted[1 : len(quoted)-1])
}

// Recorded is one request that the fake received.
type Recorded struct {
	Method string
	// Path is the request path without the base path, for example
	// "/machines/getMachines". A path outside the base path is kept whole.
	Path string
	// RawQuery is the query as sent, before decoding, to check its encoding.
	RawQuery string
	Query    url.Values
	Header   http.Header
	Body     []byte
	// At is the time the request arrived, from the server's clock.
	At time.Time
}

func (s *Server) record(r *http.Request, path string, body []byte) {
	entry := Recorded{
		Method:   r.Method,
		Path:     path,
		RawQuery: r.URL.RawQuery,
		Query:    r.URL.Query(),
		Header:   r.Header.Clone(),
		Body:     body,
		At:       s.now(),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, entry)
	close(s.requestsChanged)
	s.requestsChanged = make(chan struct{})
}

// Requests returns every recorded request, oldest first.
func (s *Server) Requests() []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRecorded(s.requests, "")
}

// RequestsTo returns the recorded requests to path (without the base
// path), oldest first.
func (s *Server) RequestsTo(path string) []Recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return cloneRecorded(s.requests, path)
}

// WaitForRequests waits until at least n requests to path (every path when
// path is "") are recorded, and returns them. It returns ctx's error if ctx
// ends first.
func (s *Server) WaitForRequests(ctx context.Context, path string, n int) ([]Recorded, error) {
	for {
		s.mu.Lock()
		matched := cloneRecorded(s.requests, path)
		changed := s.requestsChanged
		s.mu.Unlock()
		if len(matched) >= n {
			return matched, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return matched, fmt.Errorf("wait for %d requests to %q, got %d: %w", n, path, len(matched), ctx.Err())
		}
	}
}

// Reset deletes the recorded requests. Data, failures and holds are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

func cloneRecorded(requests []Recorded, path string) []Recorded {
	out := []Recorded{}
	for _, r := range requests {
		if path != "" && r.Path != path {
			continue
		}
		r.Query = cloneValues(r.Query)
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out = append(out, r)
	}
	return out
}

func cloneValues(values url.Values) url.Values {
	out := make(url.Values, len(values))
	for key, list := range values {
		out[key] = append([]string(nil), list...)
	}
	return out
}
