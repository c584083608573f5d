package fakeslack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// maxBodyBytes is the largest Web API request body the server reads.
const maxBodyBytes = 4 << 20

// Call is one Web API request as the server received it.
type Call struct {
	// Method is the Web API method, for example "chat.postMessage".
	Method string
	// Params contains every top-level field as text: form fields as sent,
	// JSON strings unquoted, and other JSON values as compact JSON. The
	// token is removed.
	Params url.Values
	// JSON contains every top-level field decoded: the JSON body's fields,
	// or the form fields, where values that look like JSON objects or
	// arrays (blocks, view, metadata) are decoded and others stay strings.
	// The token is removed.
	JSON map[string]any
	// At is when the server received the request.
	At time.Time
	// Error is the error of the server's ok:false response, or "" for an
	// ok:true response. Injected HTTP status faults record "http_<status>".
	Error string
}

// apiError is an ok:false response.
type apiError struct {
	code string
	// messages become response_metadata.messages, as Slack sends them for
	// invalid_arguments and invalid_blocks.
	messages []string
}

func (e *apiError) Error() string { return e.code }

func errorCode(code string) *apiError { return &apiError{code: code} }

// apiRequest is a decoded Web API request.
type apiRequest struct {
	method string
	token  string
	params url.Values
	fields map[string]any
	at     time.Time
}

func (r *apiRequest) str(name string) string { return r.params.Get(name) }

// object returns the named field as a JSON object, or nil.
func (r *apiRequest) object(name string) map[string]any {
	m, _ := r.fields[name].(map[string]any)
	return m
}

// handlerFunc serves one Web API method. It returns the fields of an
// ok:true response, or an *apiError.
type handlerFunc func(s *Server, r *apiRequest) (map[string]any, error)

// tokenKind is the kind of token a method requires.
type tokenKind int

const (
	botToken tokenKind = iota
	appToken
)

type methodSpec struct {
	token   tokenKind
	handler handlerFunc
}

// methods maps each Web API method the fake implements to its handler.
var methods = map[string]methodSpec{
	"auth.test":             {botToken, (*Server).authTest},
	"apps.connections.open": {appToken, (*Server).appsConnectionsOpen},
	"chat.postMessage":      {botToken, (*Server).chatPostMessage},
	"chat.postEphemeral":    {botToken, (*Server).chatPostEphemeral},
	"chat.update":           {botToken, (*Server).chatUpdate},
	"chat.delete":           {botToken, (*Server).chatDelete},
	"views.open":            {botToken, (*Server).viewsOpen},
	"views.push":            {botToken, (*Server).viewsPush},
	"views.update":          {botToken, (*Server).viewsUpdate},
	"users.info":            {botToken, (*Server).usersInfo},
	"users.lookupByEmail":   {botToken, (*Server).usersLookupByEmail},
	"usergroups.users.list": {botToken, (*Server).usergroupsUsersList},
	"conversations.open":    {botToken, (*Server).conversationsOpen},
}

// serveAPI serves POST (or GET) /api/<method>.
func (s *Server) serveAPI(w http.ResponseWriter, hr *http.Request) {
	method := strings.TrimPrefix(hr.URL.Path, "/api/")
	req, err := parseAPIRequest(hr, method)
	if err != nil {
		s.cfg.logf("fakeslack: %s: %v", method, err)
		writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	req.at = s.cfg.now()

	fault, ok := s.takeFault(method)
	if ok {
		if !s.sleep(hr.Context(), fault.Delay) {
			return
		}
		if fault.Status != 0 && fault.Status != http.StatusOK {
			s.recordCall(req, fmt.Sprintf("http_%d", fault.Status))
			writeStatusFault(w, fault)
			return
		}
		if fault.Error != "" {
			s.recordCall(req, fault.Error)
			writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": fault.Error})
			return
		}
	}

	result, err := s.dispatch(req)
	if err != nil {
		apiErr, ok := err.(*apiError)
		if !ok {
			apiErr = errorCode("internal_error")
		}
		s.recordCall(req, apiErr.code)
		body := map[string]any{"ok": false, "error": apiErr.code}
		if len(apiErr.messages) > 0 {
			body["response_metadata"] = map[string]any{"messages": apiErr.messages}
		}
		writeJSON(w, http.StatusOK, body)
		return
	}
	s.recordCall(req, "")
	writeOK(w, result)
}

// dispatch checks the token and runs the method.
func (s *Server) dispatch(req *apiRequest) (map[string]any, error) {
	spec, ok := methods[req.method]
	if !ok {
		return nil, errorCode("unknown_method")
	}
	if err := s.checkToken(req.token, spec.token); err != nil {
		return nil, err
	}
	return spec.handler(s, req)
}

// checkToken returns not_authed for a missing token, invalid_auth for a
// token the workspace does not know, and not_allowed_token_type for a known
// token of the wrong kind.
func (s *Server) checkToken(token string, want tokenKind) error {
	var got tokenKind
	switch token {
	case "":
		return errorCode("not_authed")
	case s.cfg.botToken:
		got = botToken
	case s.cfg.appToken:
		got = appToken
	default:
		return errorCode("invalid_auth")
	}
	if got != want {
		return errorCode("not_allowed_token_type")
	}
	return nil
}

// sleep waits d, or until the request is cancelled or the server closes.
// It reports whether the full delay passed.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
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

func (s *Server) recordCall(req *apiRequest, errCode string) {
	call := Call{
		Method: req.method,
		Params: req.params,
		JSON:   req.fields,
		At:     req.at,
		Error:  errCode,
	}
	s.mu.Lock()
	s.web.calls = append(s.web.calls, call)
	s.notifyLocked()
	s.mu.Unlock()

	if s.cfg.callObserver != nil {
		s.cfg.callObserver(call)
	}
}

// parseAPIRequest reads a form-encoded or JSON body, or a query string, and
// takes the token from the Authorization header or the token field.
func parseAPIRequest(hr *http.Request, method string) (*apiRequest, error) {
	req := &apiRequest{method: method, params: url.Values{}, fields: map[string]any{}}

	body, err := io.ReadAll(http.MaxBytesReader(nil, hr.Body, maxBodyBytes))
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	mediaType, _, _ := mime.ParseMediaType(hr.Header.Get("Content-Type"))

	switch {
	case mediaType == "application/json":
		if err := parseJSONFields(body, req); err != nil {
			return nil, err
		}
	default:
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, fmt.Errorf("parse form: %w", err)
		}
		addFormFields(form, req)
	}
	addFormFields(hr.URL.Query(), req)

	if auth := hr.Header.Get("Authorization"); strings.HasPrefix(auth, "Bearer ") {
		req.token = strings.TrimPrefix(auth, "Bearer ")
	}
	if req.token == "" {
		req.token = req.params.Get("token")
	}
	req.params.Del("token")
	delete(req.fields, "token")
	return req, nil
}

func parseJSONFields(body []byte, req *apiRequest) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return fmt.Errorf("parse JSON body: %w", err)
	}
	for name, value := range raw {
		var decoded any
		if err := json.Unmarshal(value, &decoded); err != nil {
			return fmt.Errorf("parse JSON field %q: %w", name, err)
		}
		req.fields[name] = decoded
		switch v := decoded.(type) {
		case string:
			req.params.Set(name, v)
		case nil:
		default:
			req.params.Set(name, compactJSON(value))
		}
	}
	return nil
}

func addFormFields(form url.Values, req *apiRequest) {
	for name, values := range form {
		for _, v := range values {
			req.params.Add(name, v)
		}
		v := values[0]
		trimmed := strings.TrimSpace(v)
		if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") {
			var decoded any
			if err := json.Unmarshal([]byte(trimmed), &decoded); err == nil {
				req.fields[name] = decoded
				continue
			}
		}
		req.fields[name] = v
	}
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	data, err := json.Marshal(body)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// writeOK writes an ok:true response with the fields of result.
func writeOK(w http.ResponseWriter, result map[string]any) {
	fields := make(map[string]any, len(result)+1)
	for name, value := range result {
		fields[name] = value
	}
	fields["ok"] = true
	data, err := appendObject(nil, fields)
	if err != nil {
		http.Error(w, "encode response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(data)
}

// writeStatusFault responds with an injected HTTP status. A 429 carries
// Retry-After and Slack's ratelimited body. Other statuses get a short text
// body, because Slack sends HTML with 5xx responses and clients do not parse it.
func writeStatusFault(w http.ResponseWriter, f Fault) {
	if f.Status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
		writeJSON(w, f.Status, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, http.StatusText(f.Status)+"\n")
}

// webState is the Web API side of the workspace. Server.mu guards it.
type webState struct {
	calls  []Call
	faults map[string][]*faultState

	channels map[string]ChannelConfig
	// dms maps a user id to the id of the bot's DM channel with that user.
	dms map[string]string
	// groupDMs maps sorted, comma-joined user ids to a group DM channel id.
	groupDMs        map[string]string
	conversationSeq int
	users           map[string]slack.User
	// emails maps a lower-cased email address to a user id.
	emails map[string]string
	groups map[string][]string

	// messages lists the stored messages in the order they were posted.
	messages     []*message
	messageIndex map[messageKey]*message
	tsSeq        int64
	// changeSeq numbers message changes, so WaitMessage looks only at
	// messages that changed since it last looked.
	changeSeq uint64

	views       map[string]*view
	viewOrder   []string
	externalIDs map[string]string
	viewSeq     int
	hashSeq     int

	triggers   map[string]*trigger
	triggerSeq int

	responseURLs  map[string]*responseTarget
	responseSeq   int
	responsePosts []ResponsePost
}

func (w *webState) init() {
	w.faults = map[string][]*faultState{}
	w.channels = map[string]ChannelConfig{}
	w.dms = map[string]string{}
	w.groupDMs = map[string]string{}
	w.users = map[string]slack.User{}
	w.emails = map[string]string{}
	w.groups = map[string][]string{}
	w.messageIndex = map[messageKey]*message{}
	w.tsSeq = 100
	w.views = map[string]*view{}
	w.externalIDs = map[string]string{}
	w.triggers = map[string]*trigger{}
	w.responseURLs = map[string]*responseTarget{}
}

// Calls returns every Web API request received so far, in the order the
// server responded to them. A request is recorded after its effect is
// stored, so a test that sees the call also sees, for example, the posted
// message. A request whose client gave up during an injected delay is not
// recorded.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyCalls(s.web.calls, "")
}

// CallsTo returns the requests to one Web API method, in order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copyCalls(s.web.calls, method)
}

// copyCalls copies the calls to method, or all calls when method is "".
func copyCalls(calls []Call, method string) []Call {
	var out []Call
	for _, c := range calls {
		if method != "" && c.Method != method {
			continue
		}
		c.Params = cloneValues(c.Params)
		out = append(out, c)
	}
	return out
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// WaitCall waits until a request to method for which match returns true has
// been received, and returns it. A nil match accepts any request. It looks
// at requests received before the call too.
func (s *Server) WaitCall(ctx context.Context, method string, match func(Call) bool) (Call, error) {
	var found Call
	next := 0
	err := s.WaitFor(ctx, func() bool {
		s.mu.Lock()
		fresh := copyCalls(s.web.calls[next:], method)
		next = len(s.web.calls)
		s.mu.Unlock()
		for _, c := range fresh {
			if match == nil || match(c) {
				found = c
				return true
			}
		}
		return false
	})
	if err != nil {
		return Call{}, fmt.Errorf("wait for call to %s: %w", method, err)
	}
	return found, nil
}
