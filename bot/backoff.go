package bot

import "time"

// backoffPolicy sets the waits between Socket Mode connection attempts.
type backoffPolicy struct {
	// base is the wait after the second failure in a row; it doubles with
	// each further failure up to limit.
	base, limit time.Duration
	// tooManyBase and tooManyLimit replace base and limit while Slack
	// reports too_many_websockets.
	tooManyBase, tooManyLimit time.Duration
	// linkDisabledMin is the shortest wait after link_disabled.
	linkDisabledMin time.Duration
	// stableAfter is how long a connection must stay open after hello
	// before the failures before it are forgotten.
	stableAfter time.Duration
}

// defaultBackoff is the policy of every Bot that New returns.
var defaultBackoff = backoffPolicy{
	base:            250 * time.Millisecond,
	limit:           30 * time.Second,
	tooManyBase:     30 * time.Second,
	tooManyLimit:    5 * time.Minute,
	linkDisabledMin: time.Minute,
	stableAfter:     time.Minute,
}
