package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
)

// sqlStore implements Store for both databases. Its dialect holds what
// differs between them.
type sqlStore struct {
	db      *sql.DB
	dialect dialect
	clock   func() time.Time
	log     zerolog.Logger
}

var _ Store = (*sqlStore)(nil)

func newSQLStore(db *sql.DB, d dialect, o options) *sqlStore {
	return &sqlStore{db: db, dialect: d, clock: o.now, log: o.log}
}

// now returns the clock's time in UTC, truncated to the microsecond.
func (s *sqlStore) now() time.Time {
	return normalizeTime(s.clock())
}

// queryer is the set of query methods that sql.DB and sql.Tx share.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *sqlStore) exec(ctx context.Context, q queryer, query string, args ...any) (sql.Result, error) {
	return q.ExecContext(ctx, s.dialect.rebind(query), args...)
}

func (s *sqlStore) query(ctx context.Context, q queryer, query string, args ...any) (*sql.Rows, error) {
	return q.QueryContext(ctx, s.dialect.rebind(query), args...)
}

func (s *sqlStore) queryRow(ctx context.Context, q queryer, query string, args ...any) *sql.Row {
	return q.QueryRowContext(ctx, s.dialect.rebind(query), args...)
}

// Ping implements Store.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.dialect.name, err)
	}
	return nil
}

// Close implements Store.
func (s *sqlStore) Close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close %s: %w", s.dialect.name, err)
	}
	return nil
}

// inTx runs fn in a transaction with the dialect's options, and commits it
// when fn returns nil.
func (s *sqlStore) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, s.dialect.txOptions)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer rollback(tx)

	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// rollback ends tx after a failure. Its own error is dropped, because the
// caller returns the error that caused the rollback.
func rollback(tx *sql.Tx) {
	_ = tx.Rollback()
}

// encodeRequest returns r as the JSON text of the doc column.
func encodeRequest(r *paperspacebot.Request) (string, error) {
	doc, err := json.Marshal(r)
	if err != nil {
		return "", fmt.Errorf("encode request %s: %w", r.ID, err)
	}
	return string(doc), nil
}

// decodeRequest parses the doc column.
func decodeRequest(doc string) (*paperspacebot.Request, error) {
	var r paperspacebot.Request
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		return nil, fmt.Errorf("decode request: %w", err)
	}
	return &r, nil
}

// cloneRequest returns a deep copy of r.
func cloneRequest(r *paperspacebot.Request) (*paperspacebot.Request, error) {
	doc, err := encodeRequest(r)
	if err != nil {
		return nil, err
	}
	return decodeRequest(doc)
}

// normalizeRequestTimes converts the time fields of r to UTC and truncates
// them to the microsecond, the precision of the time columns. The Machine's
// times are the Core API's and stay as they are.
func normalizeRequestTimes(r *paperspacebot.Request) {
	for _, t := range []*time.Time{
		&r.CreatedAt, &r.UpdatedAt, &r.DecidedAt, &r.ExpiresAt,
		&r.AttemptStartedAt, &r.LeaseUntil, &r.WatchUntil,
	} {
		*t = normalizeTime(*t)
	}
}

// insertAudit writes one audit row in tx.
func (s *sqlStore) insertAudit(ctx context.Context, tx *sql.Tx, e paperspacebot.AuditEntry) error {
	_, err := s.exec(ctx, tx,
		`INSERT INTO audit (request_id, at, actor, action, from_state, to_state, outcome)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		e.RequestID, s.dialect.timeArg(e.At), e.Actor, e.Action, string(e.From), string(e.To), e.Outcome)
	if err != nil {
		return fmt.Errorf("write audit row for request %s: %w", e.RequestID, err)
	}
	return nil
}
