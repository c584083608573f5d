package bot

import "sync"

// repeatCounter thins out log lines for an error that repeats: it lets the
// 1st, 2nd, 4th, 8th… occurrence of the same key through, with the count,
// so a reconnect loop writes a handful of lines instead of one per attempt.
type repeatCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

// observe counts one occurrence of key. It returns whether to log it and
// how many times the key has occurred.
func (r *repeatCounter) observe(key string) (log bool, count int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.counts == nil {
		r.counts = make(map[string]int)
	}
	r.counts[key]++
	count = r.counts[key]
	return count&(count-1) == 0, count
}

// reset forgets every key, for example once a connection succeeds.
func (r *repeatCounter) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.counts)
}
