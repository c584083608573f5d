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

// findMachines looks for the machine of r's create attempt that began at
// since: machines with r's name, not recorded by another request, and not
// of another region or machine type. found holds those created at or after
// since (less the allowed clock skew). unsure holds those without a
// creation time, which may or may not be the attempt's.
func (s *Service) findMachines(ctx context.Context, r *paperspacebot.Request, since time.Time) (found, unsure []paperspace.Machine, err error) {
	machines, err := s.cfg.Core.ListMachines(ctx, paperspace.MachineFilter{Name: r.Spec.Name})
	if err != nil {
		return nil, nil, fmt.Errorf("list machines named %q: %w", r.Spec.Name, err)
	}
	taken, err := s.machinesOfOtherRequests(ctx, r.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range machines {
		switch {
		case m.Name != r.Spec.Name, taken[m.ID]:
			continue
		case m.Region != "" && m.Region != r.Spec.Region:
			continue
		case m.MachineType != "" && m.MachineType != r.Spec.MachineType:
			continue
		case m.DtCreated.IsZero():
			unsure = append(unsure, m)
		case !m.DtCreated.Before(since.Add(-clockSkew)):
			found = append(found, m)
		}
	}
	return found, unsure, nil
}

// machinesOfOtherRequests returns the ids of the machines that requests
// other than id have recorded, so that reconciliation never takes one.
func (s *Service) machinesOfOtherRequests(ctx context.Context, id string) (map[string]bool, error) {
	reqs, err := s.cfg.Store.ListRequests(ctx, store.Filter{States: []paperspacebot.State{
		paperspacebot.StateCreated, paperspacebot.StateReady, paperspacebot.StateStalled,
	}})
	if err != nil {
		return nil, fmt.Errorf("list requests with machines: %w", err)
	}
	taken := make(map[string]bool, len(reqs))
	for _, r := range reqs {
		if r.ID != id && r.Machine != nil && r.Machine.ID != "" {
			taken[r.Machine.ID] = true
		}
	}
	return taken, nil
}

// lookUp runs findMachines, and when it finds nothing, runs it once more
// ReconcileDelay later, for a create that the Core API finishes late. The
// second lookup does not wait when the attempt began long enough ago, as
// after a restart.
func (s *Service) lookUp(ctx context.Context, r *paperspacebot.Request, since time.Time) (found, unsure []paperspace.Machine, err error) {
	found, unsure, err = s.findMachines(ctx, r, since)
	if err != nil || len(found)+len(unsure) > 0 {
		return found, unsure, err
	}
	wait := min(s.cfg.ReconcileDelay, since.Add(s.cfg.CreateTimeout+s.cfg.ReconcileDelay).Sub(s.now()))
	if wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, nil, ctx.Err()
		}
	}
	return s.findMachines(ctx, r, since)
}

// reconcile settles an attempt whose outcome is unknown: it looks for a
// machine with the request's name created since the attempt began. One
// machine is taken as the result. None, several, one without a creation
// time, or a failed lookup end the attempt as unknown with a warning.
// cause is what made the outcome unknown.
func (s *Service) reconcile(ctx context.Context, r *paperspacebot.Request, since time.Time, password string, cause error) {
	found, unsure, err := s.lookUp(ctx, r, since)
	switch {
	case err != nil:
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("reconcile: machine lookup failed")
		s.cfg.Observer.Reconciled(OutcomeLookupFailed)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnLookupFailed, Failure: describe(cause), Retry: true}, password,
			"lookup failed: "+err.Error())
	case len(found) == 1 && len(unsure) == 0:
		s.log.Info().Str("request_id", r.ID).Str("machine_id", found[0].ID).Msg("reconcile: machine found")
		s.cfg.Observer.Reconciled(OutcomeFound)
		machine := found[0]
		s.finishCreated(ctx, r, &machine, true, password)
	case len(found)+len(unsure) == 0:
		s.log.Warn().Str("request_id", r.ID).Msg("reconcile: no machine found")
		s.cfg.Observer.Reconciled(OutcomeNotFound)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnOutcomeUnknown, Failure: describe(cause), Retry: true}, password,
			"no machine found")
	default:
		candidates := append(found, unsure...)
		s.log.Warn().Str("request_id", r.ID).Int("machines", len(candidates)).Msg("reconcile: cannot tell which machine is this request's")
		s.cfg.Observer.Reconciled(OutcomeSeveral)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnSeveralMachines, Failure: describe(cause), Candidates: candidates}, password,
			fmt.Sprintf("%d possible machines found", len(candidates)))
	}
}

// lookUpBeforeRetry looks for a machine from the earlier attempt whose
// outcome was unknown. It reports whether the attempt is settled, so that
// no create call may follow.
func (s *Service) lookUpBeforeRetry(ctx context.Context, r *paperspacebot.Request, since time.Time) bool {
	found, unsure, err := s.findMachines(ctx, r, since)
	switch {
	case err != nil:
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("retry: machine lookup failed; not creating")
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnLookupFailed, Failure: err.Error(), Retry: true}, "",
			"lookup before retry failed")
		return true
	case len(found) == 1 && len(unsure) == 0:
		s.log.Info().Str("request_id", r.ID).Str("machine_id", found[0].ID).Msg("retry: the earlier attempt's machine exists; not creating")
		s.cfg.Observer.Reconciled(OutcomeFound)
		machine := found[0]
		s.finishCreated(ctx, r, &machine, true, "")
		return true
	case len(found)+len(unsure) > 0:
		candidates := append(found, unsure...)
		s.finishUnknown(ctx, r, blocks.Warning{Kind: blocks.WarnSeveralMachines, Candidates: candidates}, "",
			fmt.Sprintf("%d possible machines found before retry", len(candidates)))
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
		if !equalFoldEmail(u.Email, r.Spec.NewUser.Email) {
			continue
		}
		// A user that existed before the attempt was not created by it, and
		// the password the bot generated is not theirs.
		if !u.DtCreated.IsZero() && u.DtCreated.Before(r.AttemptStartedAt.Add(-clockSkew)) {
			s.log.Info().Str("request_id", r.ID).Str("paperspace_user_id", u.ID).Msg("the new user's email belongs to an older user")
			return blocks.UserNotCreated, ""
		}
		return blocks.UserCreated, u.ID
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
