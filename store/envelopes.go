package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// ClaimEnvelope implements Store. The primary key on envelope_id decides
// between concurrent claims, so it holds across processes.
func (s *sqlStore) ClaimEnvelope(ctx context.Context, envelopeID, owner string) (bool, error) {
	if envelopeID == "" {
		return false, fmt.Errorf("claim envelope for %s: missing envelope id", owner)
	}

	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx,
			`INSERT INTO envelopes (envelope_id, owner, claimed_at) VALUES (?, ?, ?)
			ON CONFLICT (envelope_id) DO NOTHING`,
			envelopeID, owner, s.dialect.timeArg(s.now()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim envelope %s: %w", envelopeID, err)
	}
	return n == 1, nil
}

// PruneEnvelopes implements Store.
func (s *sqlStore) PruneEnvelopes(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := s.exec(ctx, tx, "DELETE FROM envelopes WHERE claimed_at < ?", s.dialect.timeArg(normalizeTime(before)))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune envelopes claimed before %s: %w", before.Format(time.RFC3339Nano), err)
	}
	return n, nil
}
