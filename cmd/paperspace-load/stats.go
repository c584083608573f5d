package main

import (
	"slices"
	"time"
)

// latencySummary is the distribution of a set of latencies. Percentiles use
// the nearest-rank method, so each one is a latency that was measured.
type latencySummary struct {
	Count int           `json:"count"`
	P50   time.Duration `json:"p50_ns"`
	P90   time.Duration `json:"p90_ns"`
	P99   time.Duration `json:"p99_ns"`
	Max   time.Duration `json:"max_ns"`
}

// summarize returns the distribution of latencies. It sorts latencies in
// place. An empty slice gives a zero summary.
func summarize(latencies []time.Duration) latencySummary {
	if len(latencies) == 0 {
		return latencySummary{}
	}
	slices.Sort(latencies)
	return latencySummary{
		Count: len(latencies),
		P50:   percentile(latencies, 50),
		P90:   percentile(latencies, 90),
		P99:   percentile(latencies, 99),
		Max:   latencies[len(latencies)-1],
	}
}

// percentile returns the nearest-rank p-th percentile of sorted, which must
// be sorted in increasing order and not empty: the smallest value that at
// least p percent of the values are less than or equal to.
func percentile(sorted []time.Duration, p int) time.Duration {
	// rank is ceil(p/100 * n), computed in integers.
	rank := (p*len(sorted) + 99) / 100
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// median returns the median of values, the mean of the two middle values
// for an even count, or 0 for none. It does not change values.
func median(values []float64) float64 {
	if len(values) == 0 {
		return 0
	}
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	mid := len(sorted) / 2
	if len(sorted)%2 == 1 {
		return sorted[mid]
	}
	return (sorted[mid-1] + sorted[mid]) / 2
}

// maxGapWithout returns the longest time within [from, to] during which
// none of the spans was open. A span with a zero end is open until to.
func maxGapWithout(spans []span, from, to time.Time) time.Duration {
	if !to.After(from) {
		return 0
	}
	sorted := slices.Clone(spans)
	slices.SortFunc(sorted, func(a, b span) int { return a.start.Compare(b.start) })

	var longest time.Duration
	// covered is the end of the time known to have an open span.
	covered := from
	for _, s := range sorted {
		end := s.end
		if end.IsZero() || end.After(to) {
			end = to
		}
		if !end.After(from) {
			continue
		}
		start := s.start
		if start.After(to) {
			start = to
		}
		if start.After(covered) {
			longest = max(longest, start.Sub(covered))
		}
		if end.After(covered) {
			covered = end
		}
		if !covered.Before(to) {
			return longest
		}
	}
	return max(longest, to.Sub(covered))
}

// span is a time interval; a zero end means it has not ended.
type span struct {
	start, end time.Time
}

// minTime returns the earlier of a and b, ignoring zero times.
func minTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero() || a.Before(b):
		return a
	}
	return b
}

// maxTime returns the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
