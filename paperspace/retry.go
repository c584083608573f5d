package paperspace

import "time"

// RetryPolicy sets how GET requests are retried. The package documentation
// lists which failures are retried. The create request ignores the policy.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts of one GET call, the first
	// included. A value below 1 means 1, that is no retry.
	MaxAttempts int
	// MinWait is the wait before the first retry. Each further retry
	// doubles it, up to MaxWait, and a random jitter of up to half the
	// wait is taken off, but never below MinWait.
	MinWait time.Duration
	// MaxWait caps every wait, including one asked for by Retry-After.
	// A value below MinWait means MinWait.
	MaxWait time.Duration
	// AttemptTimeout bounds each GET attempt, reading the body included.
	// Zero means no bound beyond the caller's context.
	AttemptTimeout time.Duration
}

// DefaultRetryPolicy is the policy of a client made without WithRetryPolicy.
// It gives up after 4 attempts, with at most 3 waits of 0.25 s to 5 s.
var DefaultRetryPolicy = RetryPolicy{
	MaxAttempts:    4,
	MinWait:        250 * time.Millisecond,
	MaxWait:        5 * time.Second,
	AttemptTimeout: 15 * time.Second,
}

// normalized returns the policy with out-of-range values replaced as the
// field documentation states.
func (p RetryPolicy) normalized() RetryPolicy {
	if p.MaxAttempts < 1 {
		p.MaxAttempts = 1
	}
	if p.MinWait < 0 {
		p.MinWait = 0
	}
	if p.MaxWait < p.MinWait {
		p.MaxWait = p.MinWait
	}
	if p.AttemptTimeout < 0 {
		p.AttemptTimeout = 0
	}
	return p
}

// backoff returns the wait after the given failed attempt (1 for the first).
// retryAfter is the server's Retry-After, or negative when it sent none.
// jitter returns a random number in [0, n).
func (p RetryPolicy) backoff(attempt int, retryAfter time.Duration, jitter func(n int64) int64) time.Duration {
	wait := p.MinWait
	for i := 1; i < attempt && wait > 0 && wait < p.MaxWait; i++ {
		if wait > p.MaxWait/2 { // doubling would pass MaxWait, or overflow
			wait = p.MaxWait
			break
		}
		wait *= 2
	}

	if half := int64(wait / 2); half > 0 {
		wait -= time.Duration(jitter(half + 1))
	}
	wait = max(wait, p.MinWait)

	if retryAfter > wait {
		wait = retryAfter
	}
	return min(wait, p.MaxWait)
}
