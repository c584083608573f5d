package paperspace

import (
	"testing"
	"time"
)

func TestRetryPolicyBackoff(t *testing.T) {
	policy := RetryPolicy{MaxAttempts: 10, MinWait: 100 * time.Millisecond, MaxWait: time.Second}
	noJitter := func(int64) int64 { return 0 }
	fullJitter := func(n int64) int64 { return n - 1 }

	tests := []struct {
		name       string
		policy     RetryPolicy
		attempt    int
		retryAfter time.Duration
		jitter     func(int64) int64
		want       time.Duration
	}{
		{"first wait is MinWait", policy, 1, -1, noJitter, 100 * time.Millisecond},
		{"second wait doubles", policy, 2, -1, noJitter, 200 * time.Millisecond},
		{"third wait doubles again", policy, 3, -1, noJitter, 400 * time.Millisecond},
		{"capped at MaxWait", policy, 5, -1, noJitter, time.Second},
		{"huge attempt stays capped", policy, 1000, -1, noJitter, time.Second},
		{"jitter takes off up to half", policy, 3, -1, fullJitter, 200 * time.Millisecond},
		{"jitter never below MinWait", policy, 1, -1, fullJitter, 100 * time.Millisecond},
		{"Retry-After lengthens the wait", policy, 1, 700 * time.Millisecond, noJitter, 700 * time.Millisecond},
		{"Retry-After capped at MaxWait", policy, 1, time.Hour, noJitter, time.Second},
		{"short Retry-After keeps backoff", policy, 3, 0, noJitter, 400 * time.Millisecond},
		{"zero MinWait", RetryPolicy{MaxAttempts: 3, MaxWait: time.Second}.normalized(), 3, -1, noJitter, 0},
		{"MaxWait below MinWait", RetryPolicy{MinWait: time.Second, MaxWait: time.Millisecond}.normalized(), 4, -1, noJitter, time.Second},
		{"no overflow near max duration", RetryPolicy{MinWait: time.Duration(1) << 61, MaxWait: time.Duration(1<<63 - 1)}, 5, -1, noJitter, time.Duration(1<<63 - 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.backoff(tt.attempt, tt.retryAfter, tt.jitter)
			if got != tt.want {
				t.Errorf("backoff(%d, %v) = %v, want %v", tt.attempt, tt.retryAfter, got, tt.want)
			}
		})
	}
}

func TestRetryPolicyBackoffStaysInRange(t *testing.T) {
	policy := DefaultRetryPolicy.normalized()
	var seed int64
	jitter := func(n int64) int64 {
		seed = (seed*6364136223846793005 + 1442695040888963407) & (1<<62 - 1)
		return seed % n
	}
	for attempt := 1; attempt <= 20; attempt++ {
		for range 50 {
			got := policy.backoff(attempt, -1, jitter)
			if got < policy.MinWait || got > policy.MaxWait {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, got, policy.MinWait, policy.MaxWait)
			}
		}
	}
}

func TestRetryPolicyNormalized(t *testing.T) {
	tests := []struct {
		name   string
		policy RetryPolicy
		want   RetryPolicy
	}{
		{"default unchanged", DefaultRetryPolicy, DefaultRetryPolicy},
		{"zero attempts means one", RetryPolicy{}, RetryPolicy{MaxAttempts: 1}},
		{"negative values", RetryPolicy{MaxAttempts: -2, MinWait: -1, MaxWait: -1, AttemptTimeout: -1}, RetryPolicy{MaxAttempts: 1}},
		{"MaxWait raised to MinWait", RetryPolicy{MaxAttempts: 2, MinWait: time.Second}, RetryPolicy{MaxAttempts: 2, MinWait: time.Second, MaxWait: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.normalized(); got != tt.want {
				t.Errorf("normalized() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", -1},
		{"0", 0},
		{"5", 5 * time.Second},
		{" 12 ", 12 * time.Second},
		{"-3", -1},
		{"1.5", -1},
		{"Wed, 21 Oct 2015 07:28:00 GMT", -1},
		{"99999999999999999", time.Duration(int64(1<<63-1) / int64(time.Second) * int64(time.Second))},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			if got := parseRetryAfter(tt.value); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
			}
		})
	}
}
