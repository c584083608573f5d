package fakeslack

import "time"

// Fault is a failure that the server injects into a Web API method's
// responses. Delay applies first. Then a Status other than 0 and 200 is
// returned as the HTTP status, or else an Error is returned as ok:false with
// that error, or else the method runs as usual.
type Fault struct {
	// Error is the error of an ok:false response, for example "ratelimited"
	// or "internal_error".
	Error string
	// Status is the HTTP status to respond with, for example 429 or 500.
	Status int
	// RetryAfter is the Retry-After header, in seconds, sent with a 429.
	RetryAfter int
	// Delay is how long the server waits before it responds.
	Delay time.Duration
	// Times is how many requests the fault applies to. 0 applies it until
	// ClearFaults.
	Times int
}

// faultState is an injected fault and the number of uses it has left.
type faultState struct {
	Fault
	// left counts the remaining uses, or is -1 for no limit.
	left int
}

// Inject adds a fault to the responses of method, for example
// "chat.postMessage" or "apps.connections.open". Faults for one method apply
// in the order they were injected: the next one starts when the one before
// it has used up its Times. Method "*" matches every method and applies
// after the method's own faults.
func (s *Server) Inject(method string, f Fault) {
	left := f.Times
	if left <= 0 {
		left = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.web.faults[method] = append(s.web.faults[method], &faultState{Fault: f, left: left})
}

// ClearFaults removes every injected Web API fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.web.faults = map[string][]*faultState{}
}

// takeFault returns the fault that applies to one request of method, and
// uses it up once.
func (s *Server) takeFault(method string) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, key := range []string{method, "*"} {
		queue := s.web.faults[key]
		if len(queue) == 0 {
			continue
		}
		f := queue[0]
		if f.left > 0 {
			f.left--
			if f.left == 0 {
				s.web.faults[key] = queue[1:]
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}
