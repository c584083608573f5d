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
// are reconciled, and watches whose lease lapsed are resumed. The first
// sweep also takes over, without waiting for the lease, the work that an
// earlier process with this InstanceID left: that process has stopped.
func (s *Service) Run(ctx context.Context) {
	s.sweep(ctx, true)
	ticker := time.NewTicker(sweepInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			s.sweep(ctx, false)
		}
	}
}

// sweep reconciles lapsed create attempts and resumes lapsed watches once.
func (s *Service) sweep(ctx context.Context, startup bool) {
	now := s.now()
	filter := store.Filter{States: []paperspacebot.State{paperspacebot.StateCreating, paperspacebot.StateCreated}}
	if !startup {
		filter.LeaseBefore = now
	}
	candidates, err := s.cfg.Store.ListRequests(ctx, filter)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error().Err(err).Msg("sweep: list requests with lapsed leases")
		}
		return
	}
	for _, r := range candidates {
		lapsed := r.LeaseUntil.Before(now)
		mine := startup && r.Owner == s.cfg.InstanceID
		if (!lapsed && !mine) || s.isActive(r.ID) {
			continue
		}
		taken, err := s.takeOver(ctx, r.ID, mine)
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
			if !s.beginWork(&s.creates) {
				return
			}
			untrack := s.track(taken.ID)
			go func() {
				defer s.creates.Done()
				defer untrack()
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

// takeOver makes this process the owner of request id, in one conditional
// update, when its lease has lapsed or, with ownLeftover, when an earlier
// process with this InstanceID held it.
func (s *Service) takeOver(ctx context.Context, id string, ownLeftover bool) (*paperspacebot.Request, error) {
	now := s.now()
	return s.cfg.Store.Update(ctx, id, &store.Audit{Actor: "system", Action: "take_over", Outcome: "lease lapsed; taken over by " + s.cfg.InstanceID},
		func(r *paperspacebot.Request) error {
			if r.State != paperspacebot.StateCreating && r.State != paperspacebot.StateCreated {
				return errLeaseHeld
			}
			if r.LeaseUntil.After(now) && !(ownLeftover && r.Owner == s.cfg.InstanceID) {
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
