// Package slackapi builds the slack-go client for Slack's Web API, with an
// HTTP transport that honours Slack's rate limits. After a 429 response it
// waits the Retry-After it was given and sends the call again, up to a
// bound.
package slackapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
)

// Options configure New.
type Options struct {
	Log zerolog.Logger
	// MaxRateLimitRetries bounds how often one call is sent again after a
	// 429; 5 when zero.
	MaxRateLimitRetries int
	// MaxRetryAfter caps one wait; 60s when zero.
	MaxRetryAfter time.Duration
	// OnRateLimited, when set, is called before each wait, for metrics.
	OnRateLimited func(method string, wait time.Duration)
}

// New returns a Web API client for apiURL (which ends with a slash) that
// sends botToken, and appToken for apps.connections.open.
func New(botToken, appToken, apiURL string, opts Options) *slack.Client {
	return NewWithClient(botToken, appToken, apiURL, NewHTTPClient(opts))
}

// NewWithClient is New with the HTTP client given, so that other callers,
// such as Views, can share its connections and rate-limit handling.
func NewWithClient(botToken, appToken, apiURL string, client *http.Client) *slack.Client {
	return slack.New(botToken,
		slack.OptionAppLevelToken(appToken),
		slack.OptionAPIURL(apiURL),
		slack.OptionHTTPClient(client),
	)
}

// NewHTTPClient returns the HTTP client that New uses. It keeps enough idle
// connections for many calls in flight and retries 429 responses.
func NewHTTPClient(opts Options) *http.Client {
	if opts.MaxRateLimitRetries <= 0 {
		opts.MaxRateLimitRetries = 5
	}
	if opts.MaxRetryAfter <= 0 {
		opts.MaxRetryAfter = time.Minute
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          200,
		MaxIdleConnsPerHost:   100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
	return &http.Client{
		// The bound covers rate-limit waits too, so it exceeds MaxRetryAfter.
		Timeout:   opts.MaxRetryAfter + time.Minute,
		Transport: &RateLimitTransport{Base: base, Options: opts},
	}
}

// RateLimitTransport sends a request again after a 429 response, once the
// Retry-After it was given has passed (1 second when absent), up to
// Options.MaxRateLimitRetries times. A request whose body cannot be
// replayed is not retried. Waits end early when the request's context is
// done.
type RateLimitTransport struct {
	Base    http.RoundTripper
	Options Options
}

// RoundTrip implements http.RoundTripper.
func (t *RateLimitTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := path.Base(req.URL.Path)
	for attempt := 0; ; attempt++ {
		resp, err := t.Base.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || attempt >= t.Options.MaxRateLimitRetries {
			if err == nil && resp.StatusCode == http.StatusTooManyRequests {
				t.Options.Log.Warn().Str("method", method).Int("attempts", attempt+1).
					Msg("slack rate limit: giving up after the retry bound")
			}
			return resp, err
		}
		if req.Body != nil && req.GetBody == nil {
			return resp, nil
		}
		wait := retryAfter(resp.Header.Get("Retry-After"), t.Options.MaxRetryAfter)
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()

		t.Options.Log.Info().Str("method", method).Dur("wait", wait).Int("attempt", attempt+1).
			Msg("slack rate limit: waiting before sending again")
		if t.Options.OnRateLimited != nil {
			t.Options.OnRateLimited(method, wait)
		}
		if err := sleep(req.Context(), wait); err != nil {
			return nil, err
		}
		next := req.Clone(req.Context())
		if req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			next.Body = body
		}
		req = next
	}
}

// retryAfter returns the wait that a Retry-After header requests, capped
// at limit. The header holds seconds (as Slack sends it) or an HTTP date,
// which RFC 9110 also allows. A date in the past means no wait, and a
// missing, negative or unreadable value means one second.
func retryAfter(header string, limit time.Duration) time.Duration {
	header = strings.TrimSpace(header)
	wait := time.Second
	if seconds, err := strconv.ParseFloat(header, 64); err == nil {
		if seconds >= 0 {
			// Compare before converting: a huge value would overflow
			// time.Duration and turn negative.
			wait = limit
			if seconds < limit.Seconds() {
				wait = time.Duration(seconds * float64(time.Second))
			}
		}
	} else if at, err := http.ParseTime(header); err == nil {
		wait = max(time.Until(at), 0)
	}
	return min(wait, limit)
}

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
