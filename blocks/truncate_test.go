package blocks

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"exact", "abcde", 5, "abcde"},
		{"cut", "abcdef", 5, "abcd…"},
		{"max one", "abcdef", 1, "…"},
		{"max zero", "abc", 0, ""},
		{"negative max", "abc", -1, ""},
		{"empty", "", 3, ""},
		{"space before cut", "ab cdef", 4, "ab…"},
		{"cjk", "機械学習用の計算機", 5, "機械学習…"},
		{"combining mark kept whole", "e\u0301e\u0301e\u0301", 4, "e\u0301…"},
		{"variation selector kept", "❤️❤️❤️", 4, "❤️…"},
		{"skin tone kept", "👍🏽👍🏽👍🏽", 4, "👍🏽…"},
		{"zwj sequence kept", "👩‍💻👩‍💻", 3, "…"},
		{"zwj sequence fits", "👩‍💻👩‍💻", 4, "👩‍💻…"},
		{"flag not split", "🇯🇵🇫🇷🇩🇪", 4, "🇯🇵…"},
		{"flag pairs from run start", "a🇯🇵🇫🇷", 4, "a🇯🇵…"},
		{"half flag dropped", "a🇯🇵🇫🇷", 3, "a…"},
		{"subdivision flag kept", "🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067\U000E007Fab", 6, "…"},
		{"crlf kept", "a\r\nbcd", 3, "a…"},
		{"hangul jamo kept", "\u1100\u1161\u11A8\u1100\u1161\u11A8", 4, "\u1100\u1161\u11A8…"},
		{"invalid utf-8 replaced", "ab\xed\xa0\x80cdef", 4, "ab\uFFFD…"},
		{"invalid utf-8 uncut", "ab\xffc", 10, "ab\uFFFDc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestCutRunes(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"short", "abc", 5, "abc"},
		{"cut", "abcdef", 4, "abcd"},
		{"flag not split", "🇯🇵🇫🇷", 3, "🇯🇵"},
		{"combining mark kept", "ae\u0301", 2, "a"},
		{"zero", "abc", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutRunes(tt.in, tt.max)
			if got != tt.want {
				t.Errorf("cutRunes(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

// TestTruncateLongNames cuts user-typed names at every length up to their
// own and checks that each result is valid, within the limit, a prefix of
// the name and cut between user-perceived characters.
func TestTruncateLongNames(t *testing.T) {
	names := map[string]string{
		"emoji":     emojiName,
		"cjk":       cjkName,
		"combining": combiningName,
		"flags":     strings.Repeat("🇯🇵🇺🇸🇩🇪", 20),
	}
	for label, name := range names {
		t.Run(label, func(t *testing.T) {
			for max := 1; max <= utf8.RuneCountInString(name)+1; max++ {
				got := Truncate(name, max)
				checkCut(t, name, got, max, true)
				checkCut(t, name, cutRunes(name, max), max, false)
			}
		})
	}
}

// checkCut fails when cut is not a valid cut of name to max runes.
func checkCut(t *testing.T, name, cut string, max int, withEllipsis bool) {
	t.Helper()
	if !utf8.ValidString(cut) {
		t.Fatalf("cut of %d runes: got invalid UTF-8 %q", max, cut)
	}
	if n := utf8.RuneCountInString(cut); n > max {
		t.Fatalf("cut to %d runes: got %d runes %q", max, n, cut)
	}
	prefix := cut
	if withEllipsis {
		prefix = strings.TrimSuffix(cut, ellipsis)
	}
	if !strings.HasPrefix(name, prefix) {
		t.Fatalf("cut to %d runes: got %q, want a prefix of %q", max, cut, name)
	}
	if prefix == name {
		return
	}
	if !atBoundary(name, len(prefix)) {
		t.Fatalf("cut to %d runes: got %q, which splits a character of %q", max, cut, name)
	}
}

// atBoundary reports whether offset i of s falls between user-perceived
// characters for the kinds of text in the fixtures. It states the rules
// directly rather than calling isBoundary, so that it checks that function.
func atBoundary(s string, i int) bool {
	if i == 0 || i == len(s) {
		return true
	}
	last, _ := utf8.DecodeLastRuneInString(s[:i])
	next, _ := utf8.DecodeRuneInString(s[i:])
	switch {
	case last == '\u200D', next == '\u200D':
		return false
	case next >= 0xFE00 && next <= 0xFE0F, next >= 0x1F3FB && next <= 0x1F3FF:
		return false
	case unicode.In(next, unicode.Mn, unicode.Me, unicode.Mc):
		return false
	}
	regional := 0
	for _, r := range []rune(s[:i]) {
		if r >= 0x1F1E6 && r <= 0x1F1FF {
			regional++
		} else {
			regional = 0
		}
	}
	return regional%2 == 0
}
