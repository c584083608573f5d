package store

import (
	"context"
	"errors"
	"fmt"
	"slices"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// maxWriteAttempts bounds how often Transition and Update read and write a
// request again after a concurrent write changed its version. Each lost
// attempt means that another write succeeded, so with N writers racing on
// one request no writer needs more than N attempts.
const maxWriteAttempts = 100

// errVersionChanged means that the conditional update matched no row,
// because another write changed the request after it was read.
var errVersionChanged = errors.New("request changed concurrently")

// plan computes the new request and its audit row from the request as read.
// It may return an error to abort the write.
type plan func(cur *paperspacebot.Request) (next *paperspacebot.Request, entry *paperspacebot.AuditEntry, err error)

// Transition implements Store.
func (s *sqlStore) Transition(ctx context.Context, id string, from []paperspacebot.State, to paperspacebot.State, a Audit, change func(*paperspacebot.Request) error) (*paperspacebot.Request, error) {
	if len(from) == 0 {
		return nil, fmt.Errorf("transition request %s to %s: no from state given", id, to)
	}
	if !slices.Contains(paperspacebot.States(), to) {
		return nil, fmt.Errorf("transition request %s: invalid state %q", id, to)
	}

	next, err := s.write(ctx, id, func(cur *paperspacebot.Request) (*paperspacebot.Request, *paperspacebot.AuditEntry, error) {
		found := cur.State
		if !slices.Contains(from, found) {
			return nil, nil, &ConflictError{Current: cur}
		}
		if !paperspacebot.CanMove(found, to) {
			return nil, nil, fmt.Errorf("%w: from %s to %s", ErrInvalidMove, found, to)
		}
		if err := s.applyChange(cur, change); err != nil {
			return nil, nil, err
		}
		cur.State = to
		return cur, &paperspacebot.AuditEntry{
			RequestID: cur.ID, Actor: a.Actor, Action: a.Action, From: found, To: to, Outcome: a.Outcome,
		}, nil
	})

	var conflict *ConflictError
	if errors.As(err, &conflict) {
		return nil, conflict
	}
	if err != nil {
		return nil, fmt.Errorf("transition request %s to %s: %w", id, to, err)
	}
	return next, nil
}

// Update implements Store.
func (s *sqlStore) Update(ctx context.Context, id string, a *Audit, change func(*paperspacebot.Request) error) (*paperspacebot.Request, error) {
	next, err := s.write(ctx, id, func(cur *paperspacebot.Request) (*paperspacebot.Request, *paperspacebot.AuditEntry, error) {
		if err := s.applyChange(cur, change); err != nil {
			return nil, nil, err
		}
		if a == nil {
			return cur, nil, nil
		}
		return cur, &paperspacebot.AuditEntry{
			RequestID: cur.ID, Actor: a.Actor, Action: a.Action, From: cur.State, To: cur.State, Outcome: a.Outcome,
		}, nil
	})
	if err != nil {
		return nil, fmt.Errorf("update request %s: %w", id, err)
	}
	return next, nil
}

// applyChange runs change on r and checks that it left the fields that the
// store owns alone.
func (s *sqlStore) applyChange(r *paperspacebot.Request, change func(*paperspacebot.Request) error) error {
	if change == nil {
		return nil
	}

	id, key, state, version, createdAt := r.ID, r.Key, r.State, r.Version, r.CreatedAt
	if err := change(r); err != nil {
		return err
	}
	if r.ID != id || r.Key != key || r.State != state || r.Version != version || !r.CreatedAt.Equal(createdAt) {
		return errors.New("change must not set ID, Key, State, Version or CreatedAt")
	}
	return nil
}

// write reads request id, calls p for the new request and writes it with a
// conditional update, retrying when a concurrent write changed the version.
// An error from p is returned unchanged.
func (s *sqlStore) write(ctx context.Context, id string, p plan) (*paperspacebot.Request, error) {
	for attempt := 1; attempt <= maxWriteAttempts; attempt++ {
		next, err := s.tryWrite(ctx, id, p)
		if !errors.Is(err, errVersionChanged) {
			return next, err
		}
		s.log.Debug().Str("request_id", id).Int("attempt", attempt).Msg("request changed concurrently, retrying the write")
	}
	return nil, fmt.Errorf("%w %d times, giving up", errVersionChanged, maxWriteAttempts)
}

// tryWrite makes one attempt of write. It returns errVersionChanged when the
// conditional update matched no row.
func (s *sqlStore) tryWrite(ctx context.Context, id string, p plan) (*paperspacebot.Request, error) {
	tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer rollback(tx)

	cur, err := s.getRequest(ctx, tx, "id", id)
	if err != nil {
		return nil, err
	}
	readState, readVersion := cur.State, cur.Version

	next, entry, err := p(cur)
	if err != nil {
		return nil, err
	}

	now := s.now()
	next.Version = readVersion + 1
	next.UpdatedAt = now
	normalizeRequestTimes(next)
	doc, err := encodeRequest(next)
	if err != nil {
		return nil, err
	}

	// The WHERE clause makes the write conditional: it matches no row when
	// another write changed the request since it was read.
	res, err := s.exec(ctx, tx,
		`UPDATE requests
		SET state = ?, version = ?, requester_id = ?, channel_id = ?, updated_at = ?, lease_until = ?, expires_at = ?, doc = ?
		WHERE id = ? AND state = ? AND version = ?`,
		string(next.State), next.Version, next.RequesterID, next.ChannelID, s.dialect.timeArg(next.UpdatedAt),
		s.dialect.nullableTime(next.LeaseUntil), s.dialect.nullableTime(next.ExpiresAt), doc,
		id, string(readState), readVersion)
	if err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, fmt.Errorf("write request: %w", err)
	}
	if n == 0 {
		return nil, errVersionChanged
	}

	if entry != nil {
		entry.At = now
		if err := s.insertAudit(ctx, tx, *entry); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return next, nil
}
