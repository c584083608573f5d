package provision

import (
	"context"
	"errors"
	"fmt"
	"time"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Reconciliation outcomes, as reported to the Observer.
const (
	OutcomeFound        = "found"
	OutcomeNotFound     = "not_found"
	OutcomeSeveral      = "several"
	OutcomeLookupFailed = "lookup_failed"
)

// findMachines lists the machines named like r's that were created at or
// after since (less the allowed clock skew).
func (s *Service) findMachines(ctx context.Context, r *paperspacebot.Request, since time.Time) ([]paperspace.Machine, error) {
	machines, err := s.cfg.Core.ListMachines(ctx, paperspace.MachineFilter{Name: r.Spec.Name})
	if err != nil {
		return nil, fmt.Errorf("list machines named %q: %w", r.Spec.Name, err)
	}
	var found []paperspace.Machine
	for _, m := range machines {
		if m.Name != r.Spec.Name {
			continue
		}
		if !m.DtCreated.IsZero() && m.DtCreated.Before(since.Add(-clockSkew)) {
			continue
		}
		found = append(found, m)
	}
	return found, nil
}

// reconcile settles an attempt whose outcome is unknown: it looks for a
// machine with the request's name created since the attempt began. One
// machine is taken as the result; none, several, or a failed lookup end the
// attempt as unknown with a warning. cause is what made the outcome
// unknown.
func (s *Service) reconcile(ctx context.Context, r *paperspacebot.Request, since time.Time, password string, cause error) {
	found, err := s.findMachines(ctx, r, since)
	switch {
	case err != nil:
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("reconcile: machine lookup failed")
		s.cfg.Observer.Reconciled(OutcomeLookupFailed)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnLookupFailed, Failure: describe(cause), Retry: true}, password,
			"lookup failed: "+err.Error())
	case len(found) == 1:
		s.log.Info().Str("request_id", r.ID).Str("machine_id", found[0].ID).Msg("reconcile: machine found")
		s.cfg.Observer.Reconciled(OutcomeFound)
		machine := found[0]
		s.finishCreated(ctx, r, &machine, true, password)
	case len(found) == 0:
		s.log.Warn().Str("request_id", r.ID).Msg("reconcile: no machine found")
		s.cfg.Observer.Reconciled(OutcomeNotFound)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnOutcomeUnknown, Failure: describe(cause), Retry: true}, password,
			"no machine found")
	default:
		s.log.Warn().Str("request_id", r.ID).Int("machines", len(found)).Msg("reconcile: several machines found")
		s.cfg.Observer.Reconciled(OutcomeSeveral)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnSeveralMachines, Failure: describe(cause), Candidates: found}, password,
			fmt.Sprintf("%d machines found", len(found)))
	}
}

// lookUpBeforeRetry looks for a machine from the earlier attempt whose
// outcome was unknown. It reports whether the attempt is settled, so that
// no create call may follow.
func (s *Service) lookUpBeforeRetry(ctx context.Context, r *paperspacebot.Request, since time.Time) bool {
	found, err := s.findMachines(ctx, r, since)
	switch {
	case err != nil:
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("retry: machine lookup failed; not creating")
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnLookupFailed, Failure: err.Error(), Retry: true}, "",
			"lookup before retry failed")
		return true
	case len(found) == 1:
		s.log.Info().Str("request_id", r.ID).Str("machine_id", found[0].ID).Msg("retry: the earlier attempt's machine exists; not creating")
		s.cfg.Observer.Reconciled(OutcomeFound)
		machine := found[0]
		s.finishCreated(ctx, r, &machine, true, "")
		return true
	case len(found) > 1:
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnSeveralMachines, Candidates: found}, "",
			fmt.Sprintf("%d machines found before retry", len(found)))
		return true
	}
	return false
}

// finishFailed ends an attempt that the Core API rejected.
func (s *Service) finishFailed(ctx context.Context, r *paperspacebot.Request, cause error, password string) {
	warning := blocks.Warning{Kind: blocks.WarnCreateFailed, Failure: describe(cause), Retry: true}
	var apiErr *paperspace.Error
	if errors.As(cause, &apiErr) {
		warning.Field = apiErr.Field
	}
	if paperspace.IsInvalidAPIKey(cause) {
		warning.Field = ""
		warning.AdminHint = "The Core API rejected the bot's API key: ask whoever runs the bot to check PAPERSPACE_API_KEY."
	}
	s.settle(ctx, r, paperspacebot.StateFailed, warning, password, "create failed: "+describe(cause))
}

// finishUnknown ends an attempt whose outcome stays unknown.
func (s *Service) finishUnknown(ctx context.Context, r *paperspacebot.Request, warning blocks.Warning, password, outcome string) {
	s.settle(ctx, r, paperspacebot.StateUnknown, warning, password, outcome)
}

// settle moves r to a failed or unknown state and posts the warning. When
// the attempt asked for a new user, it first checks whether that user
// exists now; if so, the next attempt assigns the machine to it and the
// admin gets the password.
func (s *Service) settle(ctx context.Context, r *paperspacebot.Request, to paperspacebot.State, warning blocks.Warning, password, outcome string) {
	newUserID := r.NewUserID
	warning.UserState = blocks.UserNotAsked
	if r.Spec.NewUser != nil && r.Spec.AssigneeID == "" {
		warning.UserState, newUserID = s.lookUpNewUser(ctx, r)
		warning.UserID = newUserID
	}

	updated, err := s.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StateCreating}, to,
		store.Audit{Actor: "system", Action: "create_result", Outcome: outcome},
		s.ownedBy(func(r *paperspacebot.Request) error {
			r.Failure = warning.Failure
			r.FailureField = warning.Field
			r.NewUserID = newUserID
			r.Candidates = nil
			for _, m := range warning.Candidates {
				r.Candidates = append(r.Candidates, m.ID)
			}
			return nil
		}))
	if err != nil {
		s.log.Warn().Err(err).Str("request_id", r.ID).Msg(recordFailed(err))
		return
	}
	warning.Request = updated

	if updated.MessageTS != "" {
		if _, err := s.cfg.Poster.Update(ctx, updated.MessageChannelID, updated.MessageTS, blocks.AttemptEndedNotice(updated)); err != nil {
			s.log.Warn().Err(err).Str("request_id", r.ID).Msg("update the creating message")
		}
	}
	posted, err := s.cfg.Poster.Post(ctx, destination(updated), blocks.ReconciliationWarning(warning))
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("post the reconciliation warning")
	} else {
		_, err = s.cfg.Store.Update(ctx, r.ID, nil, func(r *paperspacebot.Request) error {
			r.WarningTS = posted.TS
			if r.MessageChannelID == "" {
				r.MessageChannelID = posted.ChannelID
			}
			return nil
		})
		if err != nil {
			s.log.Error().Err(err).Str("request_id", r.ID).Msg("record the warning message")
		}
	}
	if password != "" && warning.UserState == blocks.UserCreated {
		s.sendPassword(ctx, updated, newUserID, password)
	}
}

// lookUpNewUser checks whether the new user of r exists on the team now.
func (s *Service) lookUpNewUser(ctx context.Context, r *paperspacebot.Request) (blocks.UserState, string) {
	if r.NewUserID != "" {
		return blocks.UserCreated, r.NewUserID
	}
	users, err := s.cfg.Core.ListUsers(ctx, paperspace.UserFilter{Email: r.Spec.NewUser.Email})
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("look up the new user by email")
		return blocks.UserUnknown, ""
	}
	for _, u := range users {
		if equalFoldEmail(u.Email, r.Spec.NewUser.Email) {
			return blocks.UserCreated, u.ID
		}
	}
	return blocks.UserNotCreated, ""
}

// recordFailed returns the log message for a create result that could not
// be stored: either another process took the request over and reports it,
// or the store failed and the request stays creating until reconciled.
func recordFailed(err error) string {
	if errors.Is(err, errLeaseLost) || errors.Is(err, store.ErrConflict) {
		return "create result not recorded: another instance took the request over and reports it"
	}
	return "create result not recorded: the store failed; the request is reconciled once its lease lapses"
}

// describe returns the message to show for a create call's error: the
// Core API's own message when it sent one.
func describe(err error) string {
	if err == nil {
		return ""
	}
	var apiErr *paperspace.Error
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		return apiErr.Message
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "the create call timed out"
	}
	return err.Error()
}
