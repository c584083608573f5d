package provision

import (
	"context"
	"fmt"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// startWatch follows r's machine on a new goroutine until it is ready, a
// start event fails, the watch times out, or the service shuts down.
func (s *Service) startWatch(r *paperspacebot.Request) {
	if r.Machine == nil || r.Machine.ID == "" {
		return
	}
	if !s.claimWatch(r.ID) {
		return
	}
	if !s.beginWork(&s.watches) {
		s.releaseWatch(r.ID)
		return
	}
	go func() {
		defer s.watches.Done()
		defer s.releaseWatch(r.ID)
		s.watch(s.watchCtx, r)
	}()
}

// maxNotFound is how many polls in a row may find no machine before the
// watch gives up on it.
const maxNotFound = 5

// watch polls the machine every WatchInterval. It never takes the create
// response's state as final: only getMachinePublic can report ready.
func (s *Service) watch(ctx context.Context, r *paperspacebot.Request) {
	machineID := r.Machine.ID
	log := s.log.With().Str("request_id", r.ID).Str("machine_id", machineID).Logger()
	lastState := r.Machine.State
	lastIP := r.Machine.PublicIPAddress
	notFound := 0
	ticker := time.NewTicker(s.cfg.WatchInterval)
	defer ticker.Stop()
	for {
		if s.now().After(r.WatchUntil) {
			reason := fmt.Sprintf("it was still %s after %s", orUnknown(lastState), s.cfg.WatchTimeout)
			s.stall(ctx, r, reason, "watch timed out")
			return
		}
		select {
		case <-ctx.Done():
			log.Info().Msg("machine watch stopped; it resumes after the lease lapses")
			return
		case <-ticker.C:
		}

		machine, err := s.cfg.Core.GetMachine(ctx, machineID)
		if err != nil {
			if ctx.Err() != nil {
				continue
			}
			// A new machine can be missing from one response; only a machine
			// missing for several polls in a row is given up.
			if paperspace.IsNotFound(err) {
				notFound++
				if notFound >= maxNotFound {
					s.stall(ctx, r, "the Core API no longer finds the machine: "+describe(err), "machine not found")
					return
				}
			}
			log.Warn().Err(err).Int("not_found", notFound).Msg("poll machine")
			continue
		}
		notFound = 0

		renewed, err := s.cfg.Store.Update(ctx, r.ID, nil, s.ownedBy(func(req *paperspacebot.Request) error {
			if req.State != paperspacebot.StateCreated {
				return errLeaseLost
			}
			req.Machine = machine
			req.LeaseUntil = s.now().Add(max(leaseTTL, 3*s.cfg.WatchInterval))
			return nil
		}))
		if err != nil {
			log.Info().Err(err).Msg("machine watch ends: the request moved on or another instance follows it")
			return
		}
		r = renewed

		if failed := startError(machine); failed != "" {
			s.stall(ctx, r, failed, "start event failed")
			return
		}
		if machine.State == paperspace.StateReady {
			s.ready(ctx, r)
			return
		}
		if machine.State != lastState || machine.PublicIPAddress != lastIP {
			log.Info().Str("state", machine.State).Msg("machine state changed")
			lastState, lastIP = machine.State, machine.PublicIPAddress
			r = s.showDetails(ctx, r)
		}
	}
}

// startError returns the error message of a failed start event, or "".
func startError(m *paperspace.Machine) string {
	for _, e := range m.Events {
		if e.Name == "start" && e.State == "error" {
			if e.ErrorMsg != "" {
				return e.ErrorMsg
			}
			return "the start event ended in error without a message"
		}
	}
	return ""
}

// ready records that the machine is ready, updates its message and
// replies in its thread so people are notified.
func (s *Service) ready(ctx context.Context, r *paperspacebot.Request) {
	updated, err := s.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StateCreated}, paperspacebot.StateReady,
		store.Audit{Actor: "system", Action: "watch", Outcome: "machine ready"}, s.ownedBy(nil))
	if err != nil {
		s.log.Warn().Err(err).Str("request_id", r.ID).Msg("record machine ready")
		return
	}
	s.log.Info().Str("request_id", r.ID).Str("machine_id", machineID(updated)).Msg("machine ready")
	updated = s.showDetails(ctx, updated)
	msg := blocks.MachineReadyReply(updated)
	if updated.MessageTS == "" {
		_, err = s.cfg.Poster.Post(ctx, destination(updated), msg)
	} else {
		err = s.cfg.Poster.Reply(ctx, updated.MessageChannelID, updated.MessageTS, msg)
	}
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("post machine ready")
	}
}

// stall records that the machine did not become ready and posts a warning
// quoting the reason.
func (s *Service) stall(ctx context.Context, r *paperspacebot.Request, reason, outcome string) {
	updated, err := s.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StateCreated}, paperspacebot.StateStalled,
		store.Audit{Actor: "system", Action: "watch", Outcome: outcome + ": " + reason}, s.ownedBy(nil))
	if err != nil {
		s.log.Warn().Err(err).Str("request_id", r.ID).Msg("record stalled machine")
		return
	}
	s.log.Warn().Str("request_id", r.ID).Str("machine_id", machineID(updated)).Str("reason", reason).Msg("machine did not become ready")
	updated = s.showDetails(ctx, updated)
	msg := blocks.StalledWarning(updated, reason)
	if updated.MessageTS == "" {
		_, err = s.cfg.Poster.Post(ctx, destination(updated), msg)
	} else {
		err = s.cfg.Poster.Reply(ctx, updated.MessageChannelID, updated.MessageTS, msg)
	}
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("post stalled warning")
	}
}

func orUnknown(state string) string {
	if state == "" {
		return "in an unknown state"
	}
	return state
}
