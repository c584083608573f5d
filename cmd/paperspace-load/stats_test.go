package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i+1) * time.Millisecond
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      int
		want   time.Duration
	}{
		{"one value", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50 * time.Millisecond},
		{"p90 of 1..100", hundred, 90, 90 * time.Millisecond},
		{"p99 of 1..100", hundred, 99, 99 * time.Millisecond},
		{"p100 of 1..100", hundred, 100, 100 * time.Millisecond},
		{"p99 of 1..10 is the max", hundred[:10], 99, 10 * time.Millisecond},
		{"p50 of four rounds up", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"p0 is the min", []time.Duration{1, 2, 3}, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(p%d) = %v, want %v", tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	if got := summarize(nil); got != (latencySummary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
	got := summarize([]time.Duration{5, 1, 4, 2, 3})
	want := latencySummary{Count: 5, P50: 3, P90: 5, P99: 5, Max: 5}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
}

func TestMedian(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		want   float64
	}{
		{"none", nil, 0},
		{"one", []float64{4}, 4},
		{"odd count", []float64{9, 1, 5}, 5},
		{"even count", []float64{4, 1, 3, 2}, 2.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := median(tt.values); got != tt.want {
				t.Errorf("median(%v) = %v, want %v", tt.values, got, tt.want)
			}
		})
	}
	values := []float64{3, 1, 2}
	median(values)
	if values[0] != 3 || values[1] != 1 || values[2] != 2 {
		t.Errorf("median changed its input to %v", values)
	}
}

func TestMaxGapWithout(t *testing.T) {
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }
	tests := []struct {
		name     string
		spans    []span
		from, to int
		want     time.Duration
	}{
		{"no spans", nil, 0, 100, 100 * time.Millisecond},
		{"one open span covers all", []span{{start: at(-10)}}, 0, 100, 0},
		{"overlapping refresh", []span{{start: at(-10), end: at(60)}, {start: at(50)}}, 0, 100, 0},
		{"gap between spans", []span{{start: at(-10), end: at(40)}, {start: at(70)}}, 0, 100, 30 * time.Millisecond},
		{"gap at the start", []span{{start: at(20)}}, 0, 100, 20 * time.Millisecond},
		{"gap at the end", []span{{start: at(-10), end: at(80)}}, 0, 100, 20 * time.Millisecond},
		{"unsorted spans", []span{{start: at(70)}, {start: at(-10), end: at(40)}}, 0, 100, 30 * time.Millisecond},
		{"span after the window", []span{{start: at(-10), end: at(50)}, {start: at(200)}}, 0, 100, 50 * time.Millisecond},
		{"largest of two gaps", []span{{start: at(10), end: at(20)}, {start: at(25), end: at(30)}, {start: at(90)}}, 0, 100, 60 * time.Millisecond},
		{"empty window", []span{{start: at(0)}}, 50, 50, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := maxGapWithout(tt.spans, at(tt.from), at(tt.to)); got != tt.want {
				t.Errorf("maxGapWithout = %v, want %v", got, tt.want)
			}
		})
	}
}
