package provision

import (
	"errors"
	"strings"
	"testing"
	"unicode"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

func TestScrubRemovesSecret(t *testing.T) {
	const secret = "s3cret-Pa55"
	apiErr := &paperspace.Error{StatusCode: 400, Message: `"password" with value "` + secret + `" fails`, Field: "password"}
	tests := []struct {
		name string
		err  error
	}{
		{"core api error", apiErr},
		{"wrapped core api error", errors.Join(errors.New("create machine"), apiErr)},
		{"plain error", errors.New("transport failed after sending " + secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scrub(tt.err, secret)
			if strings.Contains(got.Error(), secret) {
				t.Errorf("scrub(...).Error() = %q, still carries the secret", got.Error())
			}
			var inner *paperspace.Error
			if errors.As(tt.err, &inner) {
				var scrubbed *paperspace.Error
				if !errors.As(got, &scrubbed) {
					t.Fatalf("scrubbed error lost its *paperspace.Error")
				}
				if strings.Contains(scrubbed.Message, secret) || scrubbed.Field != "password" {
					t.Errorf("scrubbed Core API error = %+v, want the message scrubbed and the field kept", scrubbed)
				}
			}
		})
	}
}

func TestScrubKeepsOtherErrors(t *testing.T) {
	err := errors.New("no secret here")
	if got := scrub(err, "s3cret"); got != err {
		t.Errorf("scrub changed an error without the secret: %v", got)
	}
	if got := scrub(nil, "s3cret"); got != nil {
		t.Errorf("scrub(nil) = %v, want nil", got)
	}
}

func TestNewPasswordMixesClasses(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		p := NewPassword()
		if len(p) != 20 {
			t.Fatalf("len(%q) = %d, want 20", p, len(p))
		}
		if seen[p] {
			t.Fatalf("password %q repeated", p)
		}
		seen[p] = true
		var lower, upper, digit, symbol bool
		for _, r := range p {
			switch {
			case unicode.IsLower(r):
				lower = true
			case unicode.IsUpper(r):
				upper = true
			case unicode.IsDigit(r):
				digit = true
			default:
				symbol = true
			}
		}
		if !lower || !upper || !digit || !symbol {
			t.Errorf("password %q lacks a character class", p)
		}
		if strings.ContainsAny(p, "`<>&\"'\\\\") {
			t.Errorf("password %q has a character that mrkdwn or JSON would change", p)
		}
	}
}
