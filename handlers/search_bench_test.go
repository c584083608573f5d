package handlers

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/paperspace/fakecoreapi"
)

// benchTemplateCount is the number of templates the search benchmarks
// search, the size of a large team's template list.
const benchTemplateCount = 5000

// benchQueries are typed texts that exercise each way a template matches:
// everything, a common word, a word prefix inside labels, an id prefix, a
// whole label, and nothing.
var benchQueries = []struct{ name, query string }{
	{"empty", ""},
	{"common word", "ubuntu"},
	{"word prefix", "cuda 12"},
	{"id prefix", "tg0042"},
	{"whole label", "Parsec TensorFlow v40"},
	{"no match", "no-such-template"},
}

// benchCatalog returns a catalog with the generated templates and the seed
// user. Its clock is fixed, so it never refreshes, which it could not do
// because it has no Core API client.
func benchCatalog(b *testing.B) *Catalog {
	b.Helper()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	catalog := NewCatalog(CatalogConfig{Log: zerolog.Nop(), Now: func() time.Time { return now }})
	catalog.SetTemplates(fakecoreapi.GeneratedTemplates(benchTemplateCount))
	catalog.setUsers([]paperspace.User{{ID: "u123abc", Email: "jon@example.com", Firstname: "Jon", Lastname: "Snow"}})
	return catalog
}

// reportPercentiles reports the p50 and p99 of durations, which it sorts,
// as custom metrics in nanoseconds.
func reportPercentiles(b *testing.B, durations []time.Duration) {
	b.Helper()
	if len(durations) == 0 {
		return
	}
	slices.Sort(durations)
	at := func(p int) time.Duration {
		rank := max((p*len(durations)+99)/100, 1)
		return durations[rank-1]
	}
	b.ReportMetric(float64(at(50)), "p50-ns")
	b.ReportMetric(float64(at(99)), "p99-ns")
}

// BenchmarkSearchTemplates measures Catalog.SearchTemplates over 5,000
// templates, the search behind every keystroke in the template menu. Besides
// the mean (ns/op) it reports the p50 and p99 of single searches.
func BenchmarkSearchTemplates(b *testing.B) {
	catalog := benchCatalog(b)
	for _, tt := range benchQueries {
		b.Run(tt.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				_, total := catalog.SearchTemplates(tt.query)
				durations = append(durations, time.Since(start))
				if tt.query == "no-such-template" && total != 0 {
					b.Fatalf("%q matched %d templates, want none", tt.query, total)
				}
			}
			reportPercentiles(b, durations)
		})
	}
}

// BenchmarkSuggestTemplates measures the whole response to a
// block_suggestion from the template menu: the search, the options, and the
// JSON of the ack that carries them.
func BenchmarkSuggestTemplates(b *testing.B) {
	h := New(Config{Catalog: benchCatalog(b), Log: zerolog.Nop()})
	for _, tt := range benchQueries {
		b.Run(tt.name, func(b *testing.B) {
			cb := &slack.InteractionCallback{
				Type:     slack.InteractionTypeBlockSuggestion,
				ActionID: blocks.BlockTemplate,
				BlockID:  blocks.BlockTemplate,
				Value:    tt.query,
			}
			durations := make([]time.Duration, 0, 1<<16)
			b.ReportAllocs()
			for b.Loop() {
				start := time.Now()
				if _, err := json.Marshal(h.suggest(cb)); err != nil {
					b.Fatal(err)
				}
				durations = append(durations, time.Since(start))
			}
			reportPercentiles(b, durations)
		})
	}
}
