package blocks

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits that every view and message keeps, counted in runes. Most are
// Slack's own, from its Block Kit reference. MaxModalText applied to button
// text and the option value limit are stricter than Slack on purpose: short
// buttons stay readable, and older Slack docs give 75 for option values
// where the current ones give 150.
//
// NOTE: Slack's docs say "characters" without saying how they are counted.
// An emoji outside the Basic Multilingual Plane is one rune but two UTF-16
// code units, so a limit counted in UTF-16 would be reached sooner.
const (
	// MaxModalText is the maximum length of a modal's title, submit and
	// close text, and of the bot's button text.
	MaxModalText = 24
	// MaxButtonText is the maximum length of a button's text.
	MaxButtonText = MaxModalText
	// MaxButtonValue is the maximum length of a button's value.
	MaxButtonValue = 2000
	// MaxOptionText is the maximum length of an option's text and description.
	MaxOptionText = 75
	// MaxOptionValue is the maximum length of an option's value.
	MaxOptionValue = 75
	// MaxOptions is the maximum number of options in a select or in an
	// options response.
	MaxOptions = 100
	// MaxCheckboxOptions is the maximum number of options in a checkbox group.
	MaxCheckboxOptions = 10
	// MaxPrivateMetadata is the maximum length of a view's private_metadata.
	MaxPrivateMetadata = 3000
	// MaxHeaderText is the maximum length of a header block's text.
	MaxHeaderText = 150
	// MaxSectionText is the maximum length of a section's text, and of any
	// other text object.
	MaxSectionText = 3000
	// MaxFields is the maximum number of fields in a section.
	MaxFields = 10
	// MaxFieldText is the maximum length of one section field.
	MaxFieldText = 2000
	// MaxContextElements is the maximum number of elements in a context block.
	MaxContextElements = 10
	// MaxActionElements is the maximum number of elements in an actions block.
	MaxActionElements = 25
	// MaxMessageBlocks is the maximum number of blocks in a message.
	MaxMessageBlocks = 50
	// MaxViewBlocks is the maximum number of blocks in a view.
	MaxViewBlocks = 100
	// MaxID is the maximum length of a block_id, action_id, callback_id or
	// external_id.
	MaxID = 255
	// MaxInputLength is the largest max_length a plain_text_input accepts.
	MaxInputLength = 3000
	// MaxLabelText is the maximum length of an input block's label and hint.
	MaxLabelText = 2000
	// MaxPlaceholder is the maximum length of an element's placeholder.
	MaxPlaceholder = 150
	// MaxMessageText is the length above which Slack truncates a message's
	// top-level text.
	MaxMessageText = 40000
)

// ellipsis ends every text that Truncate cuts.
const ellipsis = "…"

// Truncate returns s cut to at most max runes. A cut string ends with "…",
// which counts toward max. The cut falls between user-perceived characters:
// it never separates a combining mark, variation selector, emoji modifier
// or zero-width joiner from the character it belongs to, and never splits a
// flag (a pair of regional indicators). Spaces before the "…" are dropped.
// Invalid UTF-8, such as a UTF-16 surrogate encoded on its own, is replaced
// by U+FFFD first, so the result is always valid UTF-8. Truncate returns ""
// when max is 0 or less.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	cut := strings.TrimRightFunc(s[:clusterPrefix(s, max-1)], unicode.IsSpace)
	return cut + ellipsis
}

// CharacterCount returns the number of user-perceived characters in s,
// with the cluster rules that Truncate cuts by: an emoji built of several
// code points, such as a flag or a family joined by zero-width joiners,
// counts as one.
func CharacterCount(s string) int {
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	count := 0
	var prev rune
	regionalRun := 0
	for _, r := range s {
		if count == 0 || isBoundary(prev, r, regionalRun) {
			count++
		}
		if isRegionalIndicator(r) {
			regionalRun++
		} else {
			regionalRun = 0
		}
		prev = r
	}
	return count
}

// cutRunes returns the longest prefix of s that has at most max runes and
// ends between user-perceived characters, with no ellipsis. It suits the
// initial value of an input, where an added "…" would become part of what
// the user submits.
func cutRunes(s string, max int) string {
	if max <= 0 {
		return ""
	}
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return s[:clusterPrefix(s, max)]
}

// clusterPrefix returns the byte length of the longest prefix of s that
// has at most max runes and ends at a cluster boundary. s must be valid
// UTF-8.
//
// The boundaries follow a subset of the extended grapheme cluster rules of
// Unicode Standard Annex #29: extending characters, zero-width joiner
// sequences, regional indicator pairs, Hangul jamo and CR LF. Rare scripts
// with prepended or spacing marks outside these classes may still be cut
// inside a cluster.
func clusterPrefix(s string, max int) int {
	best := 0
	runes := 0
	var prev rune
	regionalRun := 0 // regional indicators in a row before the current rune
	for i, r := range s {
		if runes > 0 && isBoundary(prev, r, regionalRun) {
			best = i
		}
		if runes == max {
			return best
		}
		if isRegionalIndicator(r) {
			regionalRun++
		} else {
			regionalRun = 0
		}
		prev = r
		runes++
	}
	return len(s)
}

// isBoundary reports whether a user-perceived character may end between
// prev and r. regionalRun counts the regional indicators in a row that end
// with prev.
func isBoundary(prev, r rune, regionalRun int) bool {
	switch {
	case prev == '\r' && r == '\n':
		return false
	case isExtending(r):
		return false
	case prev == zeroWidthJoiner:
		return false
	case isRegionalIndicator(prev) && isRegionalIndicator(r):
		// Regional indicators pair up from the start of their run, so a
		// boundary falls only after an even number of them.
		return regionalRun%2 == 0
	case isHangulLeading(prev) && (isHangulLeading(r) || isHangulVowel(r) || isHangulSyllable(r)):
		return false
	case (isHangulVowel(prev) || isHangulLVSyllable(prev)) && (isHangulVowel(r) || isHangulTrailing(r)):
		return false
	case (isHangulTrailing(prev) || isHangulLVTSyllable(prev)) && isHangulTrailing(r):
		return false
	}
	return true
}

const zeroWidthJoiner = '\u200D'

// isExtending reports whether r attaches to the character before it:
// combining marks, zero-width joiners and non-joiners, variation
// selectors, emoji skin-tone modifiers and emoji tag characters.
func isExtending(r rune) bool {
	switch {
	case r == zeroWidthJoiner || r == '\u200C':
		return true
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return true
	case r >= 0x1F3FB && r <= 0x1F3FF: // emoji modifiers (skin tones)
		return true
	case r >= 0xE0020 && r <= 0xE007F: // tags, as in subdivision flags
		return true
	case r == 0xFF9E || r == 0xFF9F: // halfwidth katakana sound marks
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Mc)
}

func isRegionalIndicator(r rune) bool { return r >= 0x1F1E6 && r <= 0x1F1FF }

func isHangulLeading(r rune) bool {
	return (r >= 0x1100 && r <= 0x115F) || (r >= 0xA960 && r <= 0xA97C)
}

func isHangulVowel(r rune) bool {
	return (r >= 0x1160 && r <= 0x11A7) || (r >= 0xD7B0 && r <= 0xD7C6)
}

func isHangulTrailing(r rune) bool {
	return (r >= 0x11A8 && r <= 0x11FF) || (r >= 0xD7CB && r <= 0xD7FB)
}

func isHangulSyllable(r rune) bool { return r >= 0xAC00 && r <= 0xD7A3 }

// isHangulLVSyllable reports whether r is a precomposed syllable without a
// final consonant, which a trailing jamo may still extend.
func isHangulLVSyllable(r rune) bool { return isHangulSyllable(r) && (r-0xAC00)%28 == 0 }

func isHangulLVTSyllable(r rune) bool { return isHangulSyllable(r) && (r-0xAC00)%28 != 0 }
