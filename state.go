package paperspacebot

// State is a step in a request's life. Every move between states is one
// conditional update in the store, so only one actor can make it.
type State string

// The states of a request.
const (
	// StatePending: a member's request waits for an admin's decision.
	StatePending State = "pending"
	// StateDenied: an admin denied the request. Final.
	StateDenied State = "denied"
	// StateExpired: nobody decided before the request expired. Final.
	StateExpired State = "expired"
	// StateCreating: the request is stored and a create call may be in
	// flight. Its outcome is unknown until the call returns or the request
	// is reconciled.
	StateCreating State = "creating"
	// StateCreated: the machine exists and the bot follows it until ready.
	StateCreated State = "created"
	// StateFailed: the Core API rejected the create. Retry is offered.
	StateFailed State = "failed"
	// StateUnknown: the create call timed out or broke, and reconciliation
	// found no machine (or several). Retry is offered when none was found.
	StateUnknown State = "unknown"
	// StateReady: the machine reached the ready state. Final.
	StateReady State = "ready"
	// StateStalled: a start event failed or the machine did not become
	// ready before the watch timed out. Final.
	StateStalled State = "stalled"
	// StateDryRun: DRY_RUN was set, so the create call was skipped. Final.
	StateDryRun State = "dry_run"
)

// moves lists the allowed moves from each state.
var moves = map[State][]State{
	StatePending:  {StateCreating, StateDenied, StateExpired},
	StateCreating: {StateCreated, StateFailed, StateUnknown, StateDryRun},
	StateFailed:   {StateCreating},
	StateUnknown:  {StateCreating},
	StateCreated:  {StateReady, StateStalled},
}

// CanMove reports whether a request may move from one state to another.
func CanMove(from, to State) bool {
	for _, s := range moves[from] {
		if s == to {
			return true
		}
	}
	return false
}

// States returns every state, in the order of a request's life.
func States() []State {
	return []State{StatePending, StateDenied, StateExpired, StateCreating, StateCreated,
		StateFailed, StateUnknown, StateReady, StateStalled, StateDryRun}
}

// Final reports whether no move leaves s.
func (s State) Final() bool {
	return len(moves[s]) == 0
}
