package provision

import (
	"context"
	"errors"
	"strings"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// errStoppedDuringCreate is the cause shown when a process stopped while
// its create call was in flight.
var errStoppedDuringCreate = errors.New("the bot stopped while the create call was in flight")

// Run sweeps for work that a stopped process left behind, at once and then
// every few seconds, until ctx is done: create attempts whose lease lapsed
// are reconciled, and watches whose lease lapsed are resumed.
func (s *Service) Run(ctx context.Context) {
	s.Sweep(ctx)
	ticker := time.NewTicker(sweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			s.Sweep(ctx)
		}
	}
}

// Sweep reconciles lapsed create attempts and resumes lapsed watches once.
func (s *Service) Sweep(ctx context.Context) {
	now := s.now()
	stale, err := s.cfg.Store.ListRequests(ctx, store.Filter{
		States:      []paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StateCreated},
		LeaseBefore: now,
	})
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error().Err(err).Msg("sweep: list requests with lapsed leases")
		}
		return
	}
	for _, r := range stale {
		if !s.claimLocal(r.ID) {
			continue
		}
		taken, err := s.takeOver(ctx, r.ID)
		s.releaseLocal(r.ID)
		if err != nil {
			if !errors.Is(err, errLeaseHeld) {
				s.log.Warn().Err(err).Str("request_id", r.ID).Msg("sweep: take over request")
			}
			continue
		}
		switch taken.State {
		case paperspacebot.StateCreating:
			s.log.Info().Str("request_id", taken.ID).Str("previous_owner", r.Owner).
				Msg("sweep: reconciling a create attempt left by a stopped process")
			s.creates.Add(1)
			go func() {
				defer s.creates.Done()
				if !s.claimLocal(taken.ID) {
					return
				}
				defer s.releaseLocal(taken.ID)
				stopLease := s.holdLease(taken.ID)
				defer stopLease()
				s.reconcile(ctx, taken, taken.AttemptStartedAt, "", errStoppedDuringCreate)
			}()
		case paperspacebot.StateCreated:
			s.log.Info().Str("request_id", taken.ID).Str("machine_id", machineID(taken)).Msg("sweep: resuming machine watch")
			s.startWatch(taken)
		}
	}
}

// takeOver makes this process the owner of request id when its lease has
// lapsed, in one conditional update.
func (s *Service) takeOver(ctx context.Context, id string) (*paperspacebot.Request, error) {
	now := s.now()
	return s.cfg.Store.Update(ctx, id, &store.Audit{Actor: "system", Action: "take_over", Outcome: "lease lapsed; taken over by " + s.cfg.InstanceID},
		func(r *paperspacebot.Request) error {
			if r.State != paperspacebot.StateCreating && r.State != paperspacebot.StateCreated {
				return errLeaseHeld
			}
			if r.LeaseUntil.After(now) {
				return errLeaseHeld
			}
			r.Owner = s.cfg.InstanceID
			r.LeaseUntil = now.Add(leaseTTL)
			return nil
		})
}

func machineID(r *paperspacebot.Request) string {
	if r.Machine == nil {
		return ""
	}
	return r.Machine.ID
}

func equalFoldEmail(a, b string) bool {
	return strings.EqualFold(strings.TrimSpace(a), strings.TrimSpace(b))
}
