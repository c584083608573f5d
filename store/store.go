// Package store keeps machine requests, their states and their audit trail
// in a database, so that no Slack redelivery, double click, restart, timeout
// or second replica can create two machines for one request.
//
// Open returns a Store backed by SQLite (the default, a file in the working
// folder) or by PostgreSQL (to share state between replicas). Both run the
// same SQL text and the same versioned schema migrations, which Open applies.
//
// Every change to a request is one conditional update: the store reads the
// request, applies the caller's change, and writes it back only if the
// state and version it read are still current. A state move that is no
// longer possible comes back as a *ConflictError carrying the current
// request, so the caller can tell the user who acted first.
//
// The store keeps times in UTC with microsecond precision, the precision of
// PostgreSQL's timestamptz, so every time a Request field or AuditEntry
// returns is truncated to the microsecond.
package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// Store saves requests and their audit trail. Its methods are safe for
// concurrent use, also by several processes that share one database.
type Store interface {
	// CreateRequest inserts a copy of r with Version 1, an ID from NewID
	// when r.ID is empty, and CreatedAt and UpdatedAt from the clock when
	// they are zero, and writes an audit row with From "" and To r.State.
	// It returns the stored request and leaves r unchanged. r.Key and
	// r.State must be set. When a request with r.Key exists, it returns that
	// request and an error matching ErrDuplicate.
	CreateRequest(ctx context.Context, r *paperspacebot.Request, a Audit) (*paperspacebot.Request, error)

	// GetRequest returns the request with the given id, or an error matching
	// ErrNotFound.
	GetRequest(ctx context.Context, id string) (*paperspacebot.Request, error)

	// GetRequestByKey returns the request with the given idempotency key, or
	// an error matching ErrNotFound.
	GetRequestByKey(ctx context.Context, key string) (*paperspacebot.Request, error)

	// Transition moves request id to state to, only when its current state
	// is one of from. It first applies change, which may set any field but
	// ID, Key, State, Version and CreatedAt, and may return an error to
	// abort. The update is conditional on the state and version it read,
	// and writes an audit row with From set to the state found and To set
	// to to in the same transaction.
	//
	// When the current state is not one of from, Transition returns a
	// *ConflictError (matching ErrConflict) carrying the current request.
	// When the current state is one of from but paperspacebot.CanMove
	// forbids the move, it returns an error matching ErrInvalidMove, and
	// when the request does not exist, one matching ErrNotFound. When a
	// concurrent write changes the request between the read and the
	// update, Transition reads it again and decides again, so change may
	// run more than once and must be safe to repeat. An error from change
	// is returned wrapped.
	//
	// Any caller may use Transition. It is the only way to change a
	// request's state.
	Transition(ctx context.Context, id string, from []paperspacebot.State, to paperspacebot.State, a Audit, change func(*paperspacebot.Request) error) (*paperspacebot.Request, error)

	// Update applies change to request id without a state move, with the
	// same version check and retry as Transition, so change must be safe to
	// repeat. change may return an error to abort (for example when a lease
	// is still held by another instance), and Update returns it wrapped.
	// Update writes an audit row, with From and To both set to the current
	// state, only when a is not nil. It returns an error matching
	// ErrNotFound when the request does not exist.
	Update(ctx context.Context, id string, a *Audit, change func(*paperspacebot.Request) error) (*paperspacebot.Request, error)

	// ListRequests returns the requests matching f, oldest CreatedAt first.
	ListRequests(ctx context.Context, f Filter) ([]*paperspacebot.Request, error)

	// AuditTrail returns the audit rows of a request in the order they were
	// written. It returns an empty list, not an error, for an unknown id.
	AuditTrail(ctx context.Context, requestID string) ([]paperspacebot.AuditEntry, error)

	// ClaimEnvelope records that owner handles the Socket Mode envelope
	// envelopeID. It returns true for the first claim of an id and false
	// when any owner, in this process or another one sharing the database,
	// claimed it before.
	ClaimEnvelope(ctx context.Context, envelopeID, owner string) (bool, error)

	// PruneEnvelopes deletes the claims made before the given time and
	// returns how many it deleted.
	PruneEnvelopes(ctx context.Context, before time.Time) (int64, error)

	// Ping checks that the database responds.
	Ping(ctx context.Context) error

	// Close closes the database connections. The Store must not be used
	// afterwards.
	Close() error
}

// Audit describes a change for its audit row: who made it, what it was and
// how it ended. See paperspacebot.AuditEntry for the meaning of each field.
type Audit struct {
	Actor   string
	Action  string
	Outcome string
}

// Filter selects requests for ListRequests. Zero fields select everything.
type Filter struct {
	// States keeps the requests in one of these states. Empty means any.
	States []paperspacebot.State
	// LeaseBefore, when not zero, keeps the requests whose LeaseUntil is set
	// and before it.
	LeaseBefore time.Time
	// ExpiresBefore, when not zero, keeps the requests whose ExpiresAt is
	// set and before it.
	ExpiresBefore time.Time
	// RequesterID, when not empty, keeps the requests of this Slack user.
	RequesterID string
	// Limit is the maximum number of requests returned. 0 means no limit.
	Limit int
}

// Errors that the store's methods wrap. Test for them with errors.Is.
var (
	// ErrNotFound means that no request has the given id or key.
	ErrNotFound = errors.New("request not found")
	// ErrDuplicate means that a request with the same key exists.
	ErrDuplicate = errors.New("request key already exists")
	// ErrConflict is matched by every *ConflictError.
	ErrConflict = errors.New("request is no longer in the expected state")
	// ErrInvalidMove means that a transition requested a move that
	// paperspacebot.CanMove forbids.
	ErrInvalidMove = errors.New("state move not allowed")
)

// ConflictError is the error that Transition returns when the request is not
// in one of the states the caller expected, because another actor moved it
// first.
type ConflictError struct {
	// Current is the request as stored when the transition was rejected.
	// Its DecidedBy, AttemptBy and State tell who acted first and how.
	Current *paperspacebot.Request
}

// Error returns text such as "request r1 is already denied".
func (e *ConflictError) Error() string {
	return fmt.Sprintf("request %s is already %s", e.Current.ID, describeState(e.Current.State))
}

// Is reports whether target is ErrConflict.
func (e *ConflictError) Is(target error) bool {
	return target == ErrConflict
}

// describeState returns a state as it reads after "request r1 is already".
func describeState(s paperspacebot.State) string {
	switch s {
	case paperspacebot.StateCreating:
		return "being created"
	case paperspacebot.StateUnknown:
		return "in state unknown"
	case paperspacebot.StateDryRun:
		return "done as a dry run"
	default:
		return string(s)
	}
}
