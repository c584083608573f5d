package provision

import (
	"errors"
	"strings"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// redacted replaces a secret in texts the bot logs, stores or posts.
const redacted = "[redacted]"

// scrub returns err with every occurrence of secret in its text replaced.
// A *paperspace.Error inside stays reachable with errors.As, with its
// message scrubbed too.
func scrub(err error, secret string) error {
	if err == nil || secret == "" || !strings.Contains(err.Error(), secret) {
		return err
	}
	out := &scrubbedError{text: strings.ReplaceAll(err.Error(), secret, redacted)}
	var apiErr *paperspace.Error
	if errors.As(err, &apiErr) {
		clean := *apiErr
		clean.Message = strings.ReplaceAll(clean.Message, secret, redacted)
		out.api = &clean
	}
	return out
}

// scrubbedError is an error whose text had a secret removed.
type scrubbedError struct {
	text string
	api  *paperspace.Error
}

func (e *scrubbedError) Error() string { return e.text }

// Unwrap returns the scrubbed Core API error, if any, so that field
// checks such as IsInvalidAPIKey still work.
func (e *scrubbedError) Unwrap() error {
	if e.api == nil {
		return nil
	}
	return e.api
}
