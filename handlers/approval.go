package handlers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// action handles a button press on one of the bot's messages.
func (h *Handler) action(ctx context.Context, cb *slack.InteractionCallback) {
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	dest := chat.Destination{ChannelID: channel, UserID: cb.User.ID, ResponseURL: cb.ResponseURL}
	for _, a := range cb.ActionCallback.BlockActions {
		switch a.ActionID {
		case blocks.ActionApprove:
			h.clickApprove(ctx, cb, dest, a.Value)
		case blocks.ActionDeny:
			h.clickDeny(ctx, cb, dest, a.Value)
		case blocks.ActionRetry:
			h.clickRetry(ctx, cb, dest, a.Value)
		default:
			h.log.Debug().Str("action_id", a.ActionID).Str("user_id", cb.User.ID).Msg("action not handled")
		}
	}
}

// requireAdmin checks that the clicker is an admin. A member gets an
// ephemeral message that only admins may do what, and nothing changes.
func (h *Handler) requireAdmin(ctx context.Context, dest chat.Destination, what string) bool {
	admin, err := h.isAdminWithin(ctx, dest.UserID)
	if err == nil && admin {
		return true
	}
	if err != nil {
		h.fail("authorization", err, "user_id", dest.UserID)
		h.tellError(ctx, dest, "Could not check your admin status with Slack, so nothing was changed. Try again in a minute.")
		return false
	}
	h.log.Warn().Str("user_id", dest.UserID).Str("action", what).Msg("button rejected: not an admin")
	h.tellError(ctx, dest, fmt.Sprintf("Only team admins can %s. Nothing was changed.", what))
	return false
}

// adminCheckTimeout bounds an admin lookup that runs before an ack or a
// views.open, both of which Slack expects within 3 seconds.
const adminCheckTimeout = 1500 * time.Millisecond

// isAdminWithin decides whether userID is an admin within
// adminCheckTimeout. A lookup that takes longer fails closed.
func (h *Handler) isAdminWithin(ctx context.Context, userID string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, adminCheckTimeout)
	defer cancel()
	return h.cfg.Authz.IsAdmin(ctx, userID)
}

// pendingRequest loads a request for a decision. When it is gone or no
// longer pending, the clicker gets an ephemeral message naming who decided
// it, and ok is false.
func (h *Handler) pendingRequest(ctx context.Context, dest chat.Destination, id string) (*paperspacebot.Request, bool) {
	r, err := h.cfg.Store.GetRequest(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.tellError(ctx, dest, fmt.Sprintf("Request %s was not found.", blocks.Escape(id)))
		return nil, false
	case err != nil:
		h.fail("store", err, "request_id", id, "user_id", dest.UserID)
		h.tellError(ctx, dest, "Could not read the request. Try again in a minute.")
		return nil, false
	case r.State != paperspacebot.StatePending:
		h.tell(ctx, dest, blocks.AlreadyDecidedNotice(r))
		return nil, false
	}
	return r, true
}

// clickApprove opens the approval modal, prefilled with the request and
// with the machine assigned to the requester's Paperspace user, found by
// their Slack email.
func (h *Handler) clickApprove(ctx context.Context, cb *slack.InteractionCallback, dest chat.Destination, id string) {
	if !h.requireAdmin(ctx, dest, "approve requests") {
		return
	}
	r, ok := h.pendingRequest(ctx, dest, id)
	if !ok {
		return
	}
	view, err := h.cfg.Views.Open(ctx, cb.TriggerID, blocks.LoadingModal("Approve request", "Loading the request…"))
	if err != nil {
		h.openFailed(ctx, dest, err, "Press Approve on the request again")
		return
	}
	h.cfg.Catalog.PrefetchAvailability()

	spec, notice := h.assignToRequester(ctx, r)
	meta := viewMetadata{
		RequestID:        r.ID,
		ChannelID:        r.ChannelID,
		MessageChannelID: dest.ChannelID,
		MessageTS:        cb.Container.MessageTs,
	}
	h.updateView(ctx, view, blocks.FormModal(blocks.Form{
		Mode:            blocks.FormApprove,
		Spec:            spec,
		PrivateMetadata: meta.encode(),
		Networks:        h.cfg.Catalog.Networks(),
		Notice:          notice,
		RequesterID:     r.RequesterID,
		RequestedAt:     r.CreatedAt,
	}))
}

// assignToRequester returns the request's spec with the machine assigned
// to the requester's Paperspace user, and a notice for the admin when that
// user cannot be found.
func (h *Handler) assignToRequester(ctx context.Context, r *paperspacebot.Request) (paperspacebot.Spec, string) {
	spec := r.Spec
	lookupCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := h.cfg.API.GetUserInfoContext(lookupCtx, r.RequesterID)
	if err != nil {
		h.fail("slack", err, "user_id", r.RequesterID, "request_id", r.ID)
		return spec, fmt.Sprintf(":warning: Could not read <@%s>'s email from Slack. Choose the Paperspace user who gets the machine, or fill in a new user.", r.RequesterID)
	}
	email := info.Profile.Email
	if email == "" {
		return spec, fmt.Sprintf(":warning: Slack shows no email for <@%s> (the bot needs the users:read.email scope). Choose the Paperspace user who gets the machine, or fill in a new user.", r.RequesterID)
	}
	user, found, err := h.cfg.Catalog.UserByEmail(lookupCtx, email)
	if err != nil {
		h.fail("core_api", err, "request_id", r.ID)
		return spec, fmt.Sprintf(":warning: Could not look up %s in the team's Paperspace users. Choose the user who gets the machine, or fill in a new user.", blocks.Escape(email))
	}
	if !found {
		return spec, fmt.Sprintf(":warning: <@%s> (%s) has no Paperspace user on the team. Choose the user who gets the machine, or fill in a new user.", r.RequesterID, blocks.Escape(email))
	}
	spec.AssigneeID = user.ID
	spec.AssigneeLabel = userLabel(user)
	spec.NewUser = nil
	return spec, ""
}

// clickDeny opens the modal for the reason of a denial.
func (h *Handler) clickDeny(ctx context.Context, cb *slack.InteractionCallback, dest chat.Destination, id string) {
	if !h.requireAdmin(ctx, dest, "deny requests") {
		return
	}
	r, ok := h.pendingRequest(ctx, dest, id)
	if !ok {
		return
	}
	meta := viewMetadata{RequestID: r.ID, MessageChannelID: dest.ChannelID, MessageTS: cb.Container.MessageTs}
	if _, err := h.cfg.Views.Open(ctx, cb.TriggerID, blocks.DenyModal(r, meta.encode())); err != nil {
		h.openFailed(ctx, dest, err, "Press Deny on the request again")
	}
}

// clickRetry runs the create of a failed or unknown request again. Only
// the first of several presses acts.
func (h *Handler) clickRetry(ctx context.Context, cb *slack.InteractionCallback, dest chat.Destination, id string) {
	if !h.requireAdmin(ctx, dest, "retry a create") {
		return
	}
	_, err := h.cfg.Provision.Retry(ctx, id, dest.UserID)
	var conflict *store.ConflictError
	switch {
	case err == nil:
	case errors.As(err, &conflict):
		h.tell(ctx, dest, blocks.AlreadyRetriedNotice(conflict.Current))
	case errors.Is(err, store.ErrNotFound):
		h.tellError(ctx, dest, fmt.Sprintf("Request %s was not found.", blocks.Escape(id)))
	default:
		h.fail("store", err, "request_id", id, "user_id", dest.UserID)
		h.tellError(ctx, dest, "The retry could not start. Try again in a minute.")
	}
}

// approve creates the machine of an approved request. The request message
// and the requester hear of the decision before the create call.
func (h *Handler) approve(ctx context.Context, cb *slack.InteractionCallback, spec paperspacebot.Spec, meta viewMetadata, dest chat.Destination) {
	user := cb.User.ID
	if meta.RequestID == "" {
		h.fail("decode", errors.New("approval modal without request id"), "user_id", user)
		h.tellError(ctx, dest, "This approval form is out of date. Press Approve on the request again.")
		return
	}
	dest.ChannelID = meta.MessageChannelID
	_, err := h.cfg.Provision.Approve(ctx, meta.RequestID, user, spec, func(r *paperspacebot.Request) {
		h.cfg.Observer.Decision("approved")
		h.announceDecision(ctx, r)
	})
	if err != nil {
		h.decisionFailed(ctx, dest, meta.RequestID, err)
	}
}

// decisionFailed shows an admin why a decision did not take effect,
// usually because someone else decided first.
func (h *Handler) decisionFailed(ctx context.Context, dest chat.Destination, id string, err error) {
	var conflict *store.ConflictError
	if errors.Is(err, store.ErrNotFound) {
		h.log.Warn().Str("request_id", id).Str("user_id", dest.UserID).Msg("decision on an unknown request")
		h.tellError(ctx, dest, fmt.Sprintf("Request %s was not found, so nothing was decided.", blocks.Escape(id)))
		return
	}
	if errors.As(err, &conflict) {
		h.log.Info().Str("request_id", id).Str("user_id", dest.UserID).Str("state", string(conflict.Current.State)).
			Msg("decision came second")
		h.tell(ctx, dest, blocks.AlreadyDecidedNotice(conflict.Current))
		return
	}
	h.fail("store", err, "request_id", id, "user_id", dest.UserID)
	h.tellError(ctx, dest, "The decision could not be saved. Try again in a minute.")
}

// announceDecision updates the request message in place, without buttons,
// and DMs the requester the outcome.
func (h *Handler) announceDecision(ctx context.Context, r *paperspacebot.Request) {
	if r.ApprovalTS != "" {
		if _, err := h.cfg.Poster.Update(ctx, r.ApprovalChannelID, r.ApprovalTS, blocks.RequestDecidedMessage(r)); err != nil {
			h.fail("slack", err, "request_id", r.ID)
		}
	}
	if _, err := h.cfg.Poster.DM(ctx, r.RequesterID, blocks.RequestOutcomeDM(r)); err != nil {
		h.fail("slack", err, "request_id", r.ID, "user_id", r.RequesterID)
	}
}

// ExpireRequests moves every pending request past its expiry to expired,
// updates its message and sends the requester a DM. It runs until ctx is done,
// every interval, or more often when RequestExpiry is short, so that a
// request never outlives its expiry by more than a tenth of it.
func (h *Handler) ExpireRequests(ctx context.Context, interval time.Duration) {
	if h.cfg.RequestExpiry > 0 {
		interval = min(interval, max(h.cfg.RequestExpiry/10, 100*time.Millisecond))
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		h.expireOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func (h *Handler) expireOnce(ctx context.Context) {
	now := h.now()
	due, err := h.cfg.Store.ListRequests(ctx, store.Filter{States: []paperspacebot.State{paperspacebot.StatePending}, ExpiresBefore: now})
	if err != nil {
		if ctx.Err() == nil {
			h.fail("store", err)
		}
		return
	}
	for _, r := range due {
		expired, err := h.cfg.Store.Transition(ctx, r.ID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateExpired,
			store.Audit{Actor: "system", Action: "expire", Outcome: "no decision before " + r.ExpiresAt.UTC().Format(time.RFC3339)},
			func(r *paperspacebot.Request) error {
				r.DecidedAt = now
				return nil
			})
		if err != nil {
			var conflict *store.ConflictError
			if !errors.As(err, &conflict) {
				h.fail("store", err, "request_id", r.ID)
			}
			continue
		}
		h.log.Info().Str("request_id", r.ID).Str("user_id", r.RequesterID).Msg("request expired")
		h.cfg.Observer.Decision("expired")
		h.announceDecision(ctx, expired)
	}
}
