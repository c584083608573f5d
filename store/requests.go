package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// CreateRequest implements Store.
func (s *sqlStore) CreateRequest(ctx context.Context, r *paperspacebot.Request, a Audit) (*paperspacebot.Request, error) {
	if r.Key == "" {
		return nil, errors.New("create request: missing key")
	}
	if !slices.Contains(paperspacebot.States(), r.State) {
		return nil, fmt.Errorf("create request with key %s: invalid state %q", r.Key, r.State)
	}

	created, err := cloneRequest(r)
	if err != nil {
		return nil, fmt.Errorf("create request with key %s: %w", r.Key, err)
	}
	now := s.now()
	if created.ID == "" {
		created.ID = NewID()
	}
	created.Version = 1
	if created.CreatedAt.IsZero() {
		created.CreatedAt = now
	}
	if created.UpdatedAt.IsZero() {
		created.UpdatedAt = now
	}
	normalizeRequestTimes(created)

	inserted, err := s.insertRequest(ctx, created, a, now)
	if err != nil {
		return nil, fmt.Errorf("create request with key %s: %w", r.Key, err)
	}
	if inserted {
		return created, nil
	}

	existing, err := s.GetRequestByKey(ctx, r.Key)
	if err != nil {
		return nil, fmt.Errorf("create request with key %s: read the existing request: %w", r.Key, err)
	}
	return existing, fmt.Errorf("create request with key %s: %w (request %s)", r.Key, ErrDuplicate, existing.ID)
}

// insertRequest inserts r and its first audit row in one transaction. It
// reports false, and writes nothing, when a request with r.Key exists.
func (s *sqlStore) insertRequest(ctx context.Context, r *paperspacebot.Request, a Audit, now time.Time) (bool, error) {
	doc, err := encodeRequest(r)
	if err != nil {
		return false, err
	}

	tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
	if err != nil {
		return false, fmt.Errorf("begin: %w", err)
	}
	defer rollback(tx)

	// ON CONFLICT names only key: a clash on id is a real error, not a
	// duplicate submission.
	res, err := s.exec(ctx, tx,
		`INSERT INTO requests (id, key, state, version, requester_id, channel_id, created_at, updated_at, lease_until, expires_at, doc)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (key) DO NOTHING`,
		r.ID, r.Key, string(r.State), r.Version, r.RequesterID, r.ChannelID,
		s.dialect.timeArg(r.CreatedAt), s.dialect.timeArg(r.UpdatedAt),
		s.dialect.nullableTime(r.LeaseUntil), s.dialect.nullableTime(r.ExpiresAt), doc)
	if err != nil {
		return false, fmt.Errorf("insert request %s: %w", r.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("insert request %s: %w", r.ID, err)
	}
	if n == 0 {
		return false, nil
	}

	err = s.insertAudit(ctx, tx, paperspacebot.AuditEntry{
		RequestID: r.ID, At: now, Actor: a.Actor, Action: a.Action, To: r.State, Outcome: a.Outcome,
	})
	if err != nil {
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("commit request %s: %w", r.ID, err)
	}
	return true, nil
}

// GetRequest implements Store.
func (s *sqlStore) GetRequest(ctx context.Context, id string) (*paperspacebot.Request, error) {
	r, err := s.getRequest(ctx, s.db, "id", id)
	if err != nil {
		return nil, fmt.Errorf("get request %s: %w", id, err)
	}
	return r, nil
}

// GetRequestByKey implements Store.
func (s *sqlStore) GetRequestByKey(ctx context.Context, key string) (*paperspacebot.Request, error) {
	r, err := s.getRequest(ctx, s.db, "key", key)
	if err != nil {
		return nil, fmt.Errorf("get request with key %s: %w", key, err)
	}
	return r, nil
}

// getRequest reads the request whose column (id or key) equals value.
func (s *sqlStore) getRequest(ctx context.Context, q queryer, column, value string) (*paperspacebot.Request, error) {
	var doc string
	err := s.queryRow(ctx, q, "SELECT doc FROM requests WHERE "+column+" = ?", value).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeRequest(doc)
}

// ListRequests implements Store.
func (s *sqlStore) ListRequests(ctx context.Context, f Filter) ([]*paperspacebot.Request, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list requests: invalid limit %d, want 0 (no limit) or more", f.Limit)
	}

	var where []string
	var args []any
	if len(f.States) > 0 {
		marks := strings.TrimSuffix(strings.Repeat("?, ", len(f.States)), ", ")
		where = append(where, "state IN ("+marks+")")
		for _, st := range f.States {
			args = append(args, string(st))
		}
	}
	if !f.LeaseBefore.IsZero() {
		where = append(where, "lease_until IS NOT NULL AND lease_until < ?")
		args = append(args, s.dialect.nullableTime(f.LeaseBefore))
	}
	if !f.ExpiresBefore.IsZero() {
		where = append(where, "expires_at IS NOT NULL AND expires_at < ?")
		args = append(args, s.dialect.nullableTime(f.ExpiresBefore))
	}
	if f.RequesterID != "" {
		where = append(where, "requester_id = ?")
		args = append(args, f.RequesterID)
	}

	query := "SELECT doc FROM requests"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	// id breaks ties between requests created in the same microsecond.
	query += " ORDER BY created_at, id"
	if f.Limit > 0 {
		query += " LIMIT ?"
		args = append(args, f.Limit)
	}

	rows, err := s.query(ctx, s.db, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	defer rows.Close()

	list := []*paperspacebot.Request{}
	for rows.Next() {
		var doc string
		if err := rows.Scan(&doc); err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		r, err := decodeRequest(doc)
		if err != nil {
			return nil, fmt.Errorf("list requests: %w", err)
		}
		list = append(list, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return list, nil
}

// AuditTrail implements Store.
func (s *sqlStore) AuditTrail(ctx context.Context, requestID string) ([]paperspacebot.AuditEntry, error) {
	rows, err := s.query(ctx, s.db,
		`SELECT id, request_id, at, actor, action, from_state, to_state, outcome
		FROM audit WHERE request_id = ? ORDER BY id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("read audit trail of request %s: %w", requestID, err)
	}
	defer rows.Close()

	trail := []paperspacebot.AuditEntry{}
	for rows.Next() {
		var e paperspacebot.AuditEntry
		var from, to string
		if err := rows.Scan(&e.ID, &e.RequestID, scanTime{&e.At}, &e.Actor, &e.Action, &from, &to, &e.Outcome); err != nil {
			return nil, fmt.Errorf("read audit trail of request %s: %w", requestID, err)
		}
		e.From = paperspacebot.State(from)
		e.To = paperspacebot.State(to)
		trail = append(trail, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read audit trail of request %s: %w", requestID, err)
	}
	return trail, nil
}
