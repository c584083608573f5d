package paperspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what an error keeps of a response body.
const (
	// maxErrorBodyBytes is how much of a non-2xx body CheckResponse reads.
	maxErrorBodyBytes = 64 << 10
	// maxMessageRunes is the longest Error.Message built from a body.
	maxMessageRunes = 300
)

// ErrInvalidResponse is wrapped by the error returned when a 2xx response
// body is empty where an object is required, or is not the JSON expected.
// The server did process such a request.
var ErrInvalidResponse = errors.New("invalid response body")

// Error is a non-2xx response from the Core API.
type Error struct {
	// StatusCode is the HTTP status code of the response.
	StatusCode int
	// Name is the error name from the body ("Error" in most Core API
	// bodies), or empty.
	Name string
	// Message is the server's message, or the HTTP status text when the
	// body has none. It is at most 300 characters long.
	Message string
	// Field is the request field at fault, for example "templateId": the
	// first JSON field name of CreateMachineRequest, or "machineId", that
	// Message contains as a whole word in any case. When Message names
	// none, Field is the first key of a "details" object in the body, or
	// empty.
	Field string
	// Method and Endpoint identify the request, for example "GET" and
	// "/machines/getMachinePublic". Endpoint has no base path or query.
	Method   string
	Endpoint string
}

// Error formats the method, endpoint, status and message on one line.
func (e *Error) Error() string {
	status := strconv.Itoa(e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		status += " " + text
	}
	if e.Message == "" || e.Message == http.StatusText(e.StatusCode) {
		return fmt.Sprintf("%s %s: %s", e.Method, e.Endpoint, status)
	}
	return fmt.Sprintf("%s %s: %s: %s", e.Method, e.Endpoint, status, e.Message)
}

// TransportError is a request that got no HTTP response, or whose response
// body could not be read to the end.
type TransportError struct {
	Method   string
	Endpoint string
	// Sent is false only when the request certainly did not reach the
	// server, so the server cannot have acted on it. It is true once the
	// request headers were written, even if they never left the client.
	Sent bool
	// Err is the cause, such as a *net.OpError, io.EOF or
	// context.DeadlineExceeded.
	Err error
}

// Error formats the method, endpoint, whether the request was sent, and the cause.
func (e *TransportError) Error() string {
	stage := "request not sent"
	if e.Sent {
		stage = "request sent, no complete response"
	}
	return fmt.Sprintf("%s %s: %s: %v", e.Method, e.Endpoint, stage, e.Err)
}

// Unwrap returns the cause, so that errors.Is and errors.As reach it.
func (e *TransportError) Unwrap() error { return e.Err }

// endpointKey is the context key under which newRequest stores the
// endpoint, so that CheckResponse can report it without the base path.
type endpointKey struct{}

// CheckResponse returns nil for a 2xx response and an *Error for any other.
// It reads at most 64 KiB of the body and does not close it.
//
// It understands the nested body {"error":{"name":…,"status":…,"message":…}},
// the flat body {"status":…,"message":…}, other JSON objects (keys such as
// "title", "description", "errors", "details") and plain text. Text is
// trimmed, its whitespace collapsed and cut to 300 characters. An empty
// message becomes the HTTP status text.
func CheckResponse(resp *http.Response) error {
	if resp.StatusCode >= 200 && resp.StatusCode <= 299 {
		return nil
	}

	apiErr := &Error{StatusCode: resp.StatusCode}
	if req := resp.Request; req != nil {
		apiErr.Method = req.Method
		apiErr.Endpoint, _ = req.Context().Value(endpointKey{}).(string)
		if apiErr.Endpoint == "" && req.URL != nil {
			apiErr.Endpoint = req.URL.Path
		}
	}

	var body []byte
	if resp.Body != nil {
		// A read error leaves whatever arrived, which is still the best message.
		body, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBodyBytes))
	}

	var details []detail
	apiErr.Name, apiErr.Message, details = parseErrorBody(body)
	apiErr.Message = cutRunes(apiErr.Message, maxMessageRunes)
	if apiErr.Message == "" {
		apiErr.Message = http.StatusText(resp.StatusCode)
	}
	apiErr.Field = fieldInMessage(apiErr.Message)
	if apiErr.Field == "" && len(details) > 0 {
		apiErr.Field = details[0].key
	}
	return apiErr
}

// detail is one entry of a "details" object, in body order.
type detail struct {
	key, text string
}

// parseErrorBody extracts the error name, a one-line message and any
// per-field details from an error body of any shape.
func parseErrorBody(body []byte) (name, message string, details []detail) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return "", "", nil
	}

	var object map[string]json.RawMessage
	if err := json.Unmarshal(body, &object); err != nil || object == nil {
		var text string
		if json.Unmarshal(body, &text) == nil {
			return "", collapseSpace(text), nil
		}
		return "", collapseSpace(string(body)), nil
	}

	if nested, ok := object["error"]; ok {
		var inner map[string]json.RawMessage
		if json.Unmarshal(nested, &inner) == nil && inner != nil {
			name = jsonText(inner["name"])
			message = jsonText(inner["message"])
			if message == "" {
				message = jsonText(inner["details"])
			}
		} else {
			message = jsonText(nested)
		}
	}
	if name == "" {
		name = firstText(object, "name", "code")
	}
	if message == "" {
		message = firstText(object, "message", "title", "description", "detail", "errors", "messages")
	}

	details = parseDetails(object["details"])
	if len(details) > 0 {
		parts := make([]string, 0, len(details))
		for _, d := range details {
			parts = append(parts, d.key+": "+d.text)
		}
		summary := strings.Join(parts, "; ")
		if message == "" {
			message = summary
		} else {
			message += " (" + summary + ")"
		}
	} else if message == "" {
		message = jsonText(object["details"])
	}

	if message == "" && len(object) > 0 {
		message = string(compactJSON(body))
	}
	return name, collapseSpace(message), details
}

// firstText returns the text of the first of keys present in object.
func firstText(object map[string]json.RawMessage, keys ...string) string {
	for _, key := range keys {
		if text := jsonText(object[key]); text != "" {
			return text
		}
	}
	return ""
}

// jsonText renders a JSON value as a message: a string as itself, a number
// or bool as its literal, an array as its items joined with "; ", and an
// object by its "message" key or, failing that, its compact JSON.
func jsonText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return ""
	}
	switch raw[0] {
	case '"':
		var text string
		if json.Unmarshal(raw, &text) == nil {
			return text
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			parts := make([]string, 0, len(items))
			for _, item := range items {
				if text := jsonText(item); text != "" {
					parts = append(parts, text)
				}
			}
			return strings.Join(parts, "; ")
		}
	case '{':
		var object map[string]json.RawMessage
		if json.Unmarshal(raw, &object) == nil {
			if text := jsonText(object["message"]); text != "" {
				return text
			}
		}
	}
	return string(compactJSON(raw))
}

// parseDetails decodes a "details" object of field names to messages,
// keeping the order of its keys. Any other JSON value gives no details.
func parseDetails(raw json.RawMessage) []detail {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil
	}
	decoder := json.NewDecoder(bytes.NewReader(raw))
	if _, err := decoder.Token(); err != nil {
		return nil
	}
	var details []detail
	for decoder.More() {
		token, err := decoder.Token()
		if err != nil {
			return details
		}
		key, _ := token.(string)
		var value json.RawMessage
		if err := decoder.Decode(&value); err != nil {
			return details
		}
		details = append(details, detail{key: key, text: jsonText(value)})
	}
	return details
}

func compactJSON(raw []byte) []byte {
	var out bytes.Buffer
	if json.Compact(&out, raw) != nil {
		return raw
	}
	return out.Bytes()
}

// collapseSpace trims text and replaces each run of white space, line
// breaks included, with one space, so that a message fits on one line.
func collapseSpace(text string) string {
	return strings.Join(strings.FieldsFunc(text, unicode.IsSpace), " ")
}

// cutRunes returns the first max runes of text, never splitting a UTF-8
// sequence.
func cutRunes(text string, max int) string {
	if utf8.RuneCountInString(text) <= max {
		return text
	}
	count := 0
	for i := range text {
		if count == max {
			return text[:i]
		}
		count++
	}
	return text
}

// requestFields maps each lower-cased JSON field name of
// CreateMachineRequest, plus "machineId", to its spelling in the API.
var requestFields = func() map[string]string {
	fields := map[string]string{"machineid": "machineId"}
	t := reflect.TypeFor[CreateMachineRequest]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			fields[strings.ToLower(name)] = name
		}
	}
	return fields
}()

// fieldInMessage returns the request field that appears first in message
// as a whole word, compared without regard to case, or "" when none does.
// A word is a run of letters, digits and underscores.
func fieldInMessage(message string) string {
	isWordRune := func(r rune) bool {
		return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_'
	}
	words := strings.FieldsFunc(message, func(r rune) bool { return !isWordRune(r) })
	for _, word := range words {
		if field, ok := requestFields[strings.ToLower(word)]; ok {
			return field
		}
	}
	return ""
}

// invalidKeyMessage matches a message stating that an API key or token is
// invalid, such as the Core API's "Invalid API token".
var invalidKeyMessage = regexp.MustCompile(
	`(?i)\b(invalid|bad|wrong|unknown|expired|revoked)\b.*\bapi[ _-]?(key|token)\b` +
		`|\bapi[ _-]?(key|token)\b.*\b(invalid|not valid|expired|revoked)\b`)

// IsInvalidAPIKey reports whether err is an *Error for a rejected API key:
// status 401 or 403, or status 400 with a message saying the API key or
// token is invalid. The Core API responds to a bad key with 400 "Invalid API
// token".
func IsInvalidAPIKey(err error) bool {
	var apiErr *Error
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return true
	case http.StatusBadRequest:
		return invalidKeyMessage.MatchString(apiErr.Message)
	}
	return false
}

// IsNotFound reports whether err is an *Error with status 404.
func IsNotFound(err error) bool {
	var apiErr *Error
	return errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusNotFound
}

// IsUnknownOutcome reports whether the server may have acted on the request
// although err reports a failure. It is true for a 5xx response, for a request
// that was sent but got no complete response (timeout, context deadline or
// cancellation during the call, EOF, connection reset), and for an
// undecodable 2xx body. It is false for nil, for a 4xx response, and for a
// request that never reached the network (context done before sending,
// connection refused).
func IsUnknownOutcome(err error) bool {
	if err == nil {
		return false
	}
	var transportErr *TransportError
	if errors.As(err, &transportErr) {
		return transportErr.Sent
	}
	var apiErr *Error
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500
	}
	if errors.Is(err, ErrInvalidResponse) {
		return true
	}
	return errors.Is(err, context.DeadlineExceeded)
}
