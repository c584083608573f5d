package handlers

import (
	"slices"
	"strings"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// MaxOptions is the most options Slack shows in a select menu.
const MaxOptions = 100

// searchable is one item of a list that the menus search: its lower-case
// texts, in order of importance.
type searchable struct {
	id     string
	fields []string
}

// match scores how well query matches item: higher is better, 0 is no
// match. An exact id beats a match at the start of the first field, which
// beats one at the start of a word, which beats one anywhere.
func (s searchable) match(query string) int {
	if query == "" {
		return 1
	}
	if s.id == query {
		return 1000
	}
	best := 0
	for i, field := range s.fields {
		weight := len(s.fields) - i
		at := strings.Index(field, query)
		if at < 0 {
			continue
		}
		var score int
		switch {
		case field == query:
			score = 90
		case at == 0:
			score = 80
		case hasWordPrefix(field, query, at):
			score = 60
		default:
			score = 40
		}
		best = max(best, score*10+weight)
	}
	if best == 0 && strings.Contains(s.id, query) {
		best = 10
	}
	return best
}

// hasWordPrefix reports whether a word of field (after a space or
// punctuation) starts with query. first is the index of query's first
// occurrence in field.
func hasWordPrefix(field, query string, first int) bool {
	for at := first; at >= 0; {
		if at > 0 && isSeparator(field[at-1]) {
			return true
		}
		next := strings.Index(field[at+1:], query)
		if next < 0 {
			return false
		}
		at += 1 + next
	}
	return false
}

func isSeparator(b byte) bool {
	switch b {
	case ' ', '-', '_', '.', '(', ')', '/', ';', ':', ',', '<', '@':
		return true
	}
	return false
}

// rank returns the indexes of the items matching query, best first (ties
// keep list order), at most limit of them, and how many matched in all.
func rank(items []searchable, query string, limit int) (indexes []int, total int) {
	query = strings.ToLower(strings.TrimSpace(query))
	if query == "" {
		// Every item matches with the same score, so list order is kept.
		for i := range min(len(items), limit) {
			indexes = append(indexes, i)
		}
		return indexes, len(items)
	}
	type hit struct{ index, score int }
	hits := make([]hit, 0, min(len(items), 4*limit))
	for i, item := range items {
		if score := item.match(query); score > 0 {
			hits = append(hits, hit{i, score})
		}
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return b.score - a.score })
	total = len(hits)
	for _, h := range hits[:min(len(hits), limit)] {
		indexes = append(indexes, h.index)
	}
	return indexes, total
}

func templateSearchable(t paperspace.Template) searchable {
	return searchable{
		id:     strings.ToLower(t.ID),
		fields: []string{strings.ToLower(t.Label), strings.ToLower(t.OS), strings.ToLower(t.Name)},
	}
}

func userSearchable(u paperspace.User) searchable {
	full := strings.TrimSpace(u.Firstname + " " + u.Lastname)
	return searchable{
		id:     strings.ToLower(u.ID),
		fields: []string{strings.ToLower(full), strings.ToLower(u.Email), strings.ToLower(u.Lastname)},
	}
}
