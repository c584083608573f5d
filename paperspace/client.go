package paperspace

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultUserAgent is the User-Agent header sent unless WithUserAgent sets another.
const DefaultUserAgent = "paperspace-bot"

// maxResponseBytes caps a 2xx response body. A list of 1000 machines, the
// Core API's default page, is about 1 MB.
const maxResponseBytes = 32 << 20

// Client calls the Core API. It is safe for concurrent use.
type Client struct {
	baseURL    *url.URL
	apiKey     string
	httpClient *http.Client
	retry      RetryPolicy
	observe    func(Call)
	userAgent  string
	// jitter returns a random number in [0, n). Tests replace it.
	jitter func(n int64) int64
}

// Option configures a Client in NewClient.
type Option func(*Client)

// WithHTTPClient sets the HTTP client used for every request. The default
// is an http.Client without an overall timeout, because contexts and
// RetryPolicy.AttemptTimeout bound the calls instead. The default client
// does not follow redirects, so a 3xx response is an *Error: following one
// would resend the create and could send the API key to another host.
func WithHTTPClient(httpClient *http.Client) Option {
	return func(c *Client) {
		if httpClient != nil {
			c.httpClient = httpClient
		}
	}
}

// WithRetryPolicy sets how GET requests are retried. The create request is
// never retried, whatever the policy.
func WithRetryPolicy(policy RetryPolicy) Option {
	return func(c *Client) { c.retry = policy }
}

// WithObserver sets a function called once per HTTP attempt, after it ends,
// for metrics and logs. It runs on the calling goroutine and must not block.
func WithObserver(observe func(Call)) Option {
	return func(c *Client) { c.observe = observe }
}

// WithUserAgent sets the User-Agent header. An empty agent keeps DefaultUserAgent.
func WithUserAgent(agent string) Option {
	return func(c *Client) {
		if agent != "" {
			c.userAgent = agent
		}
	}
}

// Call describes one HTTP attempt, for WithObserver. It never contains the
// API key or a request body.
type Call struct {
	Method string
	// Endpoint is the API path without base path or query, for example
	// "/machines/getMachines".
	Endpoint string
	// StatusCode is the response status, or 0 when no response arrived.
	StatusCode int
	// Duration runs from sending the request to reading the whole response.
	Duration time.Duration
	// Err is the attempt's error: an *Error, a *TransportError, an error
	// wrapping ErrInvalidResponse for an undecodable 2xx body, or nil.
	Err error
	// Attempt counts the attempts of one call, starting at 1.
	Attempt int
}

// NewClient returns a client for the Core API at baseURL, for example
// "https://api.paperspace.io" or "http://127.0.0.1:1234/core". API paths are
// joined onto baseURL's path, and a trailing slash is allowed. It returns an
// error when baseURL is not an absolute http or https URL, or when apiKey
// is empty.
func NewClient(baseURL, apiKey string, opts ...Option) (*Client, error) {
	if apiKey == "" {
		return nil, errors.New("new Core API client: API key is empty")
	}
	base, err := url.Parse(strings.TrimSpace(baseURL))
	if err != nil {
		return nil, fmt.Errorf("new Core API client: invalid base URL: %w", err)
	}
	if base.Scheme != "http" && base.Scheme != "https" {
		return nil, fmt.Errorf("new Core API client: base URL %q must start with http:// or https://", base.Redacted())
	}
	if base.Host == "" {
		return nil, fmt.Errorf("new Core API client: base URL %q has no host", base.Redacted())
	}
	if base.RawQuery != "" || base.Fragment != "" {
		return nil, fmt.Errorf("new Core API client: base URL %q must not have a query or fragment", base.Redacted())
	}

	c := &Client{
		baseURL:    base,
		apiKey:     apiKey,
		httpClient: &http.Client{CheckRedirect: rejectRedirect},
		retry:      DefaultRetryPolicy,
		userAgent:  DefaultUserAgent,
		jitter:     rand.Int64N,
	}
	for _, opt := range opts {
		opt(c)
	}
	return c, nil
}

// getJSON sends a GET request, retrying as the retry policy allows, and
// decodes the 2xx body into out. With list set, an empty or null body
// leaves out unchanged. Without it, such a body is an error.
func (c *Client) getJSON(ctx context.Context, endpoint string, query url.Values, out any, list bool) error {
	policy := c.retry.normalized()
	for attempt := 1; ; attempt++ {
		request := attemptRequest{method: http.MethodGet, endpoint: endpoint, query: query, out: out, list: list}
		result := c.send(ctx, request, attempt, policy.AttemptTimeout)
		if result.err == nil {
			return nil
		}
		if attempt >= policy.MaxAttempts || !retryable(result) {
			return result.err
		}
		if ctx.Err() != nil && errors.Is(result.err, ctx.Err()) {
			return result.err // the attempt itself ended with the context
		}

		wait := policy.backoff(attempt, result.retryAfter, c.jitter)
		if err := sleep(ctx, wait); err != nil {
			return fmt.Errorf("%s %s: stopped retrying after %d attempts: %w; last error: %w",
				http.MethodGet, endpoint, attempt, err, result.err)
		}
	}
}

// sleep waits for d, or returns the context's cause if it ends first.
func sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// postJSON sends one POST request with body encoded as JSON and decodes the
// 2xx response into out. It never retries.
func (c *Client) postJSON(ctx context.Context, endpoint string, body, out any) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("%s %s: encode request body: %w", http.MethodPost, endpoint, err)
	}
	request := attemptRequest{method: http.MethodPost, endpoint: endpoint, body: payload, out: out}
	return c.send(ctx, request, 1, 0).err
}

// attemptRequest is what one HTTP attempt sends, and where it decodes the
// 2xx body; see getJSON for list.
type attemptRequest struct {
	method, endpoint string
	query            url.Values
	body             []byte
	out              any
	list             bool
}

// attemptResult is the outcome of one HTTP attempt.
type attemptResult struct {
	statusCode int
	// retryAfter is the Retry-After header of a 429 or 503 in seconds, or
	// -1 when absent.
	retryAfter time.Duration
	err        error
}

// send makes one HTTP attempt, decodes a 2xx body and reports the attempt
// to the observer. A positive timeout bounds the whole attempt, reading the
// body included.
func (c *Client) send(ctx context.Context, request attemptRequest, attempt int, timeout time.Duration) attemptResult {
	start := time.Now()
	result := c.sendOnce(ctx, request, timeout)
	if c.observe != nil {
		c.observe(Call{
			Method:     request.method,
			Endpoint:   request.endpoint,
			StatusCode: result.statusCode,
			Duration:   time.Since(start),
			Err:        result.err,
			Attempt:    attempt,
		})
	}
	return result
}

func (c *Client) sendOnce(ctx context.Context, request attemptRequest, timeout time.Duration) attemptResult {
	method, endpoint := request.method, request.endpoint
	result := attemptResult{retryAfter: -1}
	transportErr := func(sent bool, err error) attemptResult {
		result.err = &TransportError{Method: method, Endpoint: endpoint, Sent: sent, Err: err}
		return result
	}

	attemptCtx := ctx
	if timeout > 0 {
		var cancel context.CancelFunc
		attemptCtx, cancel = context.WithTimeoutCause(ctx, timeout,
			fmt.Errorf("attempt timed out after %s: %w", timeout, context.DeadlineExceeded))
		defer cancel()
	}

	// wroteHeaders records whether the request headers were written. Until
	// then the server cannot have acted on the request.
	var wroteHeaders atomic.Bool
	trace := &httptrace.ClientTrace{WroteHeaders: func() { wroteHeaders.Store(true) }}
	attemptCtx = httptrace.WithClientTrace(context.WithValue(attemptCtx, endpointKey{}, endpoint), trace)

	req, err := c.newRequest(attemptCtx, method, endpoint, request.query, request.body)
	if err != nil {
		result.err = fmt.Errorf("%s %s: %w", method, endpoint, err)
		return result
	}
	if err := attemptCtx.Err(); err != nil {
		return transportErr(false, context.Cause(attemptCtx))
	}

	resp, err := c.httpClient.Do(req)
	if err != nil {
		return transportErr(wroteHeaders.Load(), unwrapURLError(attemptCtx, err))
	}
	defer resp.Body.Close()
	result.statusCode = resp.StatusCode

	if err := CheckResponse(resp); err != nil {
		c.redact(err.(*Error))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
			result.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"))
		}
		// Drain a little so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		result.err = err
		return result
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return transportErr(true, fmt.Errorf("read response body: %w", unwrapURLError(attemptCtx, err)))
	}
	if len(body) > maxResponseBytes {
		result.err = fmt.Errorf("%s %s: %w: larger than %d MiB", method, endpoint, ErrInvalidResponse, maxResponseBytes>>20)
		return result
	}
	result.err = decodeBody(request, body)
	return result
}

// rejectRedirect makes http.Client return a 3xx response as it is.
func rejectRedirect(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}

// newRequest builds a request for endpoint, joined onto the base URL's path.
func (c *Client) newRequest(ctx context.Context, method, endpoint string, query url.Values, body []byte) (*http.Request, error) {
	target := c.baseURL.JoinPath(endpoint)
	target.RawQuery = encodeQuery(query)

	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target.String(), reader)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("x-api-key", c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// encodeQuery encodes query like url.Values.Encode but writes a space as
// %20 rather than "+", so that a server that does not decode form
// encoding still reads "East Coast (NY2)". A literal "+" is always %2B.
func encodeQuery(query url.Values) string {
	return strings.ReplaceAll(query.Encode(), "+", "%20")
}

// unwrapURLError returns the cause inside the *url.Error that http.Client
// returns, because TransportError already names the method and endpoint.
// When the attempt's context ended, its cause replaces a bare context error.
func unwrapURLError(ctx context.Context, err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		err = urlErr.Err
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
	}
	return err
}

// decodeBody decodes a 2xx body into request.out; see getJSON for list.
func decodeBody(request attemptRequest, body []byte) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		if request.list {
			return nil
		}
		return fmt.Errorf("%s %s: %w: empty body", request.method, request.endpoint, ErrInvalidResponse)
	}
	if err := json.Unmarshal(trimmed, request.out); err != nil {
		return fmt.Errorf("%s %s: %w: %w", request.method, request.endpoint, ErrInvalidResponse, err)
	}
	return nil
}

// redact removes the API key from a server message, in case the server
// echoes it back.
func (c *Client) redact(apiErr *Error) {
	if strings.Contains(apiErr.Message, c.apiKey) {
		apiErr.Message = strings.ReplaceAll(apiErr.Message, c.apiKey, "[redacted]")
	}
}

// parseRetryAfter returns the Retry-After value in seconds as a duration,
// or -1 when it is absent or not a whole number of seconds.
func parseRetryAfter(value string) time.Duration {
	seconds, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil || seconds < 0 {
		return -1
	}
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	if seconds > maxSeconds {
		seconds = maxSeconds
	}
	return time.Duration(seconds) * time.Second
}

// retryable reports whether a GET attempt failed in a way that another
// attempt may not repeat: a transport error, 429, or a 5xx other than 501.
func retryable(result attemptResult) bool {
	var transportErr *TransportError
	if errors.As(result.err, &transportErr) {
		return true
	}
	var apiErr *Error
	if errors.As(result.err, &apiErr) {
		code := apiErr.StatusCode
		return code == http.StatusTooManyRequests || (code >= 500 && code != http.StatusNotImplemented)
	}
	return false
}
