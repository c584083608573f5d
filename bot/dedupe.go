package bot

import (
	"sync"
	"time"
)

// seenEnvelopes remembers the envelopes handled recently and the
// acknowledgement sent for each, so a redelivery is acknowledged again
// with the same payload instead of being handled twice. It forgets an
// envelope after ttl, and the oldest ones beyond max.
type seenEnvelopes struct {
	mu   sync.Mutex
	ttl  time.Duration
	max  int
	byID map[string]*seenEnvelope
	// order holds envelope ids, oldest first, from index head on.
	order []string
	head  int
}

type seenEnvelope struct {
	at    time.Time
	acked bool
	// ack is the acknowledgement frame sent, kept to resend on redelivery.
	ack []byte
}

func newSeenEnvelopes(ttl time.Duration, max int) *seenEnvelopes {
	return &seenEnvelopes{ttl: ttl, max: max, byID: make(map[string]*seenEnvelope)}
}

// add records id and reports whether it is new. For an envelope seen
// before it also returns the acknowledgement sent for it, if any.
func (s *seenEnvelopes) add(id string, now time.Time) (isNew bool, ack []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pruneLocked(now)
	if e, ok := s.byID[id]; ok {
		if e.acked {
			return false, e.ack
		}
		return false, nil
	}
	s.byID[id] = &seenEnvelope{at: now}
	s.order = append(s.order, id)
	return true, nil
}

// setAck records the acknowledgement frame sent for id.
func (s *seenEnvelopes) setAck(id string, frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.byID[id]; ok {
		e.acked = true
		e.ack = frame
	}
}

func (s *seenEnvelopes) pruneLocked(now time.Time) {
	for s.head < len(s.order) {
		id := s.order[s.head]
		e := s.byID[id]
		if len(s.order)-s.head <= s.max && e != nil && now.Sub(e.at) < s.ttl {
			break
		}
		delete(s.byID, id)
		s.order[s.head] = ""
		s.head++
	}
	// Compact once the dropped prefix is most of the slice, so each id is
	// copied a bounded number of times.
	if s.head > 1024 && s.head > len(s.order)/2 {
		s.order = append(s.order[:0:0], s.order[s.head:]...)
		s.head = 0
	}
}

func (s *seenEnvelopes) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byID)
}
