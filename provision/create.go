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

// Create stores r as a new request in the creating state, on behalf of the
// admin actor, and runs its first attempt. It returns once the attempt has
// ended. r.Key makes it idempotent: when a request with that key exists,
// Create returns it with an error matching store.ErrDuplicate and does
// nothing else. When the request cannot be stored, no create call is made.
func (s *Service) Create(ctx context.Context, r *paperspacebot.Request, actor string) (*paperspacebot.Request, error) {
	now := s.now()
	r.State = paperspacebot.StateCreating
	r.Attempts = 1
	r.AttemptStartedAt = now
	r.AttemptBy = actor
	r.Owner = s.cfg.InstanceID
	r.LeaseUntil = now.Add(leaseTTL)
	stored, err := s.cfg.Store.CreateRequest(ctx, r, store.Audit{Actor: actor, Action: "create", Outcome: "stored; create call next"})
	if err != nil {
		if errors.Is(err, store.ErrDuplicate) {
			s.log.Info().Str("request_id", stored.ID).Str("user_id", actor).Msg("submission already stored; not creating again")
			return stored, err
		}
		return nil, fmt.Errorf("store request: %w", err)
	}
	s.log.Info().Str("request_id", stored.ID).Str("user_id", actor).Str("machine_name", stored.Spec.Name).
		Msg("request stored; creating machine")
	s.runAttempt(ctx, stored, attemptOptions{})
	return stored, nil
}

// Approve moves the pending request id to creating on behalf of the admin
// actor, with the spec the admin confirmed, calls approved (when not nil)
// and runs the attempt. When someone decided first, it returns a
// *store.ConflictError carrying the request as it is now.
func (s *Service) Approve(ctx context.Context, id, actor string, spec paperspacebot.Spec, approved func(*paperspacebot.Request)) (*paperspacebot.Request, error) {
	now := s.now()
	r, err := s.cfg.Store.Transition(ctx, id, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateCreating,
		store.Audit{Actor: actor, Action: "approve", Outcome: "approved; create call next"},
		func(r *paperspacebot.Request) error {
			r.Spec = spec
			r.DecidedBy = actor
			r.DecidedAt = now
			r.Attempts = 1
			r.AttemptStartedAt = now
			r.AttemptBy = actor
			r.Owner = s.cfg.InstanceID
			r.LeaseUntil = now.Add(leaseTTL)
			return nil
		})
	if err != nil {
		return r, err
	}
	s.log.Info().Str("request_id", r.ID).Str("user_id", actor).Msg("request approved; creating machine")
	if approved != nil {
		approved(r)
	}
	s.runAttempt(ctx, r, attemptOptions{})
	return r, nil
}

// Retry moves a failed or unknown request back to creating on behalf of
// the admin actor and runs a new attempt. After an unknown outcome it looks
// the machine up first, and creates only when none was found. When someone
// retried first, it returns a *store.ConflictError carrying the request.
func (s *Service) Retry(ctx context.Context, id, actor string) (*paperspacebot.Request, error) {
	now := s.now()
	var previous paperspacebot.State
	var previousStart time.Time
	r, err := s.cfg.Store.Transition(ctx, id, []paperspacebot.State{paperspacebot.StateFailed, paperspacebot.StateUnknown},
		paperspacebot.StateCreating, store.Audit{Actor: actor, Action: "retry", Outcome: "retry started"},
		func(r *paperspacebot.Request) error {
			previous = r.State
			previousStart = r.AttemptStartedAt
			r.Attempts++
			r.AttemptStartedAt = now
			r.AttemptBy = actor
			r.Owner = s.cfg.InstanceID
			r.LeaseUntil = now.Add(leaseTTL)
			r.Failure, r.FailureField, r.Candidates = "", "", nil
			return nil
		})
	if err != nil {
		return r, err
	}
	s.log.Info().Str("request_id", r.ID).Str("user_id", actor).Int("attempt", r.Attempts).Msg("retrying create")
	if r.WarningTS != "" {
		if _, err := s.cfg.Poster.Update(ctx, r.MessageChannelID, r.WarningTS, blocks.RetryStartedNotice(r, actor)); err != nil {
			s.log.Warn().Err(err).Str("request_id", r.ID).Msg("remove the Retry button")
		}
	}
	s.runAttempt(ctx, r, attemptOptions{lookUpFirst: previous == paperspacebot.StateUnknown, since: previousStart})
	return r, nil
}

type attemptOptions struct {
	// lookUpFirst makes the attempt look for a machine created since
	// since before it calls create, because an earlier attempt's outcome
	// is unknown.
	lookUpFirst bool
	since       time.Time
}

// runAttempt runs one create attempt for r, which is in the creating state
// with this process holding its lease.
func (s *Service) runAttempt(ctx context.Context, r *paperspacebot.Request, opts attemptOptions) {
	defer s.track(r.ID)()
	if !s.beginWork(&s.creates) {
		s.log.Warn().Str("request_id", r.ID).Msg("stopping: create attempt not started; it is reconciled once its lease lapses")
		return
	}
	defer s.creates.Done()
	// The lease is held until the attempt ends, lookups included.
	stopLease := s.holdLease(r.ID)
	defer stopLease()

	// The "Creating…" post waits for its turn in the channel's pacing, so it
	// goes out beside the create call rather than before it. Every step
	// that changes the message waits for it.
	posted := make(chan *paperspacebot.Request, 1)
	go func() { posted <- s.postCreating(ctx, r) }()

	if opts.lookUpFirst || s.cfg.DryRun {
		r = <-posted
	}
	if opts.lookUpFirst {
		if done := s.lookUpBeforeRetry(ctx, r, opts.since); done {
			return
		}
	}
	if s.cfg.DryRun {
		s.finishDryRun(ctx, r)
		return
	}

	// A new user gets a password that the bot generates. The password stays
	// in memory and goes by DM to the admin who ran the attempt.
	body, password := s.createBody(r)
	callCtx, cancel := context.WithTimeout(ctx, s.cfg.CreateTimeout)
	machine, err := s.cfg.Core.CreateMachine(callCtx, body)
	cancel()
	if !opts.lookUpFirst {
		r = <-posted
	}

	// The Core API may quote the request body in its error message, so the
	// password is removed before the error is logged, stored or posted.
	unknown := err != nil && paperspace.IsUnknownOutcome(err)
	err = scrub(err, password)
	switch {
	case err == nil:
		s.log.Info().Str("request_id", r.ID).Str("machine_id", machine.ID).Msg("machine created")
		s.cfg.Observer.MachineCreated()
		s.finishCreated(ctx, r, machine, false, password)
	case unknown:
		s.log.Warn().Err(err).Str("request_id", r.ID).Msg("create call outcome unknown; looking the machine up")
		s.reconcile(ctx, r, r.AttemptStartedAt, password, err)
	default:
		s.log.Warn().Err(err).Str("request_id", r.ID).Msg("create call failed")
		s.finishFailed(ctx, r, err, password)
	}
}

// createBody builds the create call's body for r. It returns the password
// generated for a new user, or "" when the machine goes to an existing
// user.
func (s *Service) createBody(r *paperspacebot.Request) (paperspace.CreateMachineRequest, string) {
	spec := r.Spec
	body := paperspace.CreateMachineRequest{
		Region:            spec.Region,
		MachineType:       spec.MachineType,
		Size:              spec.SizeGB,
		BillingType:       paperspace.BillingHourly,
		MachineName:       spec.Name,
		TemplateID:        spec.TemplateID,
		AssignPublicIP:    spec.PublicIP,
		NetworkID:         spec.NetworkID,
		TeamID:            s.cfg.TeamID,
		NotificationEmail: spec.NotificationEmail,
	}
	switch {
	case spec.AssigneeID != "":
		body.UserID = spec.AssigneeID
	case r.NewUserID != "":
		// An earlier attempt created the user: assign the machine to it.
		body.UserID = r.NewUserID
	case spec.NewUser != nil:
		password := NewPassword()
		body.Email = spec.NewUser.Email
		body.FirstName = spec.NewUser.FirstName
		body.LastName = spec.NewUser.LastName
		body.Password = password
		return body, password
	}
	return body, ""
}

// postCreating posts the "Creating…" message for this attempt and records
// where it went.
func (s *Service) postCreating(ctx context.Context, r *paperspacebot.Request) *paperspacebot.Request {
	posted, err := s.cfg.Poster.Post(ctx, destination(r), blocks.CreatingMessage(r))
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Str("channel_id", r.ChannelID).
			Msg("post the creating message; the create goes on")
		return r
	}
	updated, err := s.cfg.Store.Update(ctx, r.ID, nil, func(r *paperspacebot.Request) error {
		r.MessageChannelID, r.MessageTS = posted.ChannelID, posted.TS
		return nil
	})
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("record the creating message")
		r.MessageChannelID, r.MessageTS = posted.ChannelID, posted.TS
		return r
	}
	return updated
}

// finishDryRun ends an attempt without calling create.
func (s *Service) finishDryRun(ctx context.Context, r *paperspacebot.Request) {
	r, err := s.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StateCreating}, paperspacebot.StateDryRun,
		store.Audit{Actor: "system", Action: "dry_run", Outcome: "DRY_RUN is set; create call skipped"}, s.ownedBy(nil))
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("record dry run")
		return
	}
	s.log.Info().Str("request_id", r.ID).Msg("dry run: create call skipped")
	s.showDetails(ctx, r)
}

// finishCreated records the machine, shows its details, sends a new user's
// password to the admin and starts following the machine.
func (s *Service) finishCreated(ctx context.Context, r *paperspacebot.Request, machine *paperspace.Machine, reconciled bool, password string) {
	now := s.now()
	outcome := "created " + machine.ID
	if reconciled {
		outcome = "found " + machine.ID + " by reconciliation"
	}
	updated, err := s.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StateCreating}, paperspacebot.StateCreated,
		store.Audit{Actor: "system", Action: "create_result", Outcome: outcome},
		s.ownedBy(func(r *paperspacebot.Request) error {
			r.Machine = machine
			r.Reconciled = reconciled
			r.WatchUntil = now.Add(s.cfg.WatchTimeout)
			r.LeaseUntil = now.Add(leaseTTL)
			if r.Spec.NewUser != nil && r.Spec.AssigneeID == "" && machine.UserID != "" {
				r.NewUserID = machine.UserID
			}
			return nil
		}))
	if err != nil {
		s.log.Warn().Err(err).Str("request_id", r.ID).Str("machine_id", machine.ID).
			Msg(recordFailed(err))
		return
	}
	s.showDetails(ctx, updated)
	if password != "" {
		s.sendPassword(ctx, updated, updated.NewUserID, password)
	}
	s.startWatch(updated)
}

// showDetails replaces the request's message with the machine's details,
// or posts them when there is no message.
func (s *Service) showDetails(ctx context.Context, r *paperspacebot.Request) *paperspacebot.Request {
	msg := blocks.MachineDetails(r, s.now())
	if r.MessageTS == "" {
		posted, err := s.cfg.Poster.Post(ctx, destination(r), msg)
		if err != nil {
			s.log.Error().Err(err).Str("request_id", r.ID).Msg("post machine details")
			return r
		}
		return s.recordMessage(ctx, r, posted.ChannelID, posted.TS)
	}
	posted, err := s.cfg.Poster.Update(ctx, r.MessageChannelID, r.MessageTS, msg)
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("update machine details")
		return r
	}
	if posted.TS != r.MessageTS || posted.ChannelID != r.MessageChannelID {
		return s.recordMessage(ctx, r, posted.ChannelID, posted.TS)
	}
	return r
}

func (s *Service) recordMessage(ctx context.Context, r *paperspacebot.Request, channel, ts string) *paperspacebot.Request {
	updated, err := s.cfg.Store.Update(ctx, r.ID, nil, func(r *paperspacebot.Request) error {
		r.MessageChannelID, r.MessageTS = channel, ts
		return nil
	})
	if err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Msg("record message location")
		return r
	}
	return updated
}

// sendPassword sends a new user's password by DM to the admin who ran the
// attempt, the only person who receives it.
func (s *Service) sendPassword(ctx context.Context, r *paperspacebot.Request, userID, password string) {
	admin := r.AttemptBy
	if admin == "" || r.Spec.NewUser == nil {
		return
	}
	if _, err := s.cfg.Poster.DM(ctx, admin, blocks.PasswordDM(r, userID, password)); err != nil {
		s.log.Error().Err(err).Str("request_id", r.ID).Str("user_id", admin).
			Msg("send the new user's password by DM; the admin must reset it in the Paperspace console")
	}
}
