package handlers

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// maxDenyReason is the longest reason a denial may give, in characters.
const maxDenyReason = 500

// submit handles a modal submission. The ack carries field errors, or is
// empty to close the modal, and the work happens after it.
func (h *Handler) submit(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc) {
	switch cb.View.CallbackID {
	case blocks.CallbackCreate, blocks.CallbackRequest, blocks.CallbackApprove:
		h.submitForm(ctx, cb, ack)
	case blocks.CallbackDeny:
		h.submitDeny(ctx, cb, ack)
	default:
		ack(nil)
		h.log.Debug().Str("callback_id", cb.View.CallbackID).Str("user_id", cb.User.ID).Msg("submission of an unknown view")
	}
}

// submitForm handles the create, request and approval forms. Creating and
// approving are for admins, checked again here; anyone may request.
func (h *Handler) submitForm(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc) {
	user := cb.User.ID
	callback := cb.View.CallbackID
	meta, err := decodeMetadata(cb.View.PrivateMetadata)
	if err != nil {
		h.fail("decode", err, "user_id", user, "view_id", cb.View.ID)
		ack(slack.NewUpdateViewSubmissionResponse(ptr(blocks.NoticeModal("Create machine",
			fmt.Sprintf(":warning: This form is out of date. Close it and run `%s create` again.", h.commandName())))))
		return
	}
	if meta.ChannelID == "" {
		meta.ChannelID = user
	}
	dest := chat.Destination{ChannelID: meta.ChannelID, UserID: user, ResponseURL: meta.ResponseURL}

	spec, errs := parseSpec(cb.View.State, h.cfg.Catalog, callback != blocks.CallbackRequest)
	if len(errs) > 0 {
		h.log.Info().Str("user_id", user).Str("callback_id", callback).Int("errors", len(errs)).Msg("form has errors")
		ack(slack.NewErrorsViewSubmissionResponse(errs))
		return
	}

	if callback == blocks.CallbackRequest {
		h.submitRequest(ctx, cb, ack, spec, meta, dest)
		return
	}
	what := "create machines"
	if callback == blocks.CallbackApprove {
		what = "approve requests"
	}
	if !h.allowAdmin(ctx, cb, ack, dest, what) {
		return
	}

	proceed, ok := h.checkAvailability(ctx, cb, ack, spec, meta)
	if !ok {
		return
	}
	if !proceed() {
		return
	}

	if callback == blocks.CallbackApprove {
		h.approve(ctx, cb, spec, meta, dest)
		return
	}
	r := &paperspacebot.Request{
		ID:          store.NewID(),
		Key:         "view:" + cb.View.ID,
		Spec:        spec,
		RequesterID: user,
		TeamID:      cb.Team.ID,
		ChannelID:   meta.ChannelID,
		ResponseURL: meta.ResponseURL,
	}
	if _, err := h.cfg.Provision.Create(ctx, r, user); err != nil && !errors.Is(err, store.ErrDuplicate) {
		h.fail("store", err, "user_id", user, "view_id", cb.View.ID)
		h.tellError(ctx, dest, fmt.Sprintf("The request for %s could not be saved, so no machine was created. Try again in a minute.", blocks.Escape(spec.Name)))
	}
}

// allowAdmin checks, within the ack, that the submitter is an admin. A
// member's submission is rejected with a notice in the modal, and nothing
// changes.
func (h *Handler) allowAdmin(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc, dest chat.Destination, what string) bool {
	user := cb.User.ID
	admin, err := h.isAdminWithin(ctx, user)
	if err == nil && admin {
		return true
	}
	text := fmt.Sprintf(":no_entry: Only team admins can %s. Nothing was changed.", what)
	if err != nil {
		h.fail("authorization", err, "user_id", user)
		text = ":warning: Could not check your admin status with Slack, so nothing was changed. Try again in a minute."
	} else {
		h.log.Warn().Str("user_id", user).Str("callback_id", cb.View.CallbackID).Msg("submission rejected: not an admin")
	}
	ack(slack.NewUpdateViewSubmissionResponse(ptr(blocks.NoticeModal("Not allowed", text))))
	h.tellError(ctx, dest, strings.TrimPrefix(strings.TrimPrefix(text, ":no_entry: "), ":warning: "))
	return false
}

// checkAvailability checks, for the GPU types the Core API reports on,
// that the type is available in the region. With a recent answer in the
// catalog it decides within the ack (an unavailable type is a field
// error). Otherwise it shows a "checking" view, asks the Core API after
// the ack, and reopens the form with a warning when the type is not
// available. ok is false when the submission ends here; proceed acks (when
// not acked yet) and reports whether to go on.
func (h *Handler) checkAvailability(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc,
	spec paperspacebot.Spec, meta viewMetadata) (proceed func() bool, ok bool) {
	closeModal := func() bool { return ack(nil) }
	if !paperspace.HasAvailability(spec.MachineType) {
		return closeModal, true
	}
	available, known := h.cfg.Catalog.Availability(spec.Region, spec.MachineType)
	if known && !available {
		ack(slack.NewErrorsViewSubmissionResponse(map[string]string{
			blocks.BlockMachineType: unavailableText(spec),
		}))
		return nil, false
	}
	if known {
		return closeModal, true
	}

	title := "Create machine"
	if cb.View.CallbackID == blocks.CallbackApprove {
		title = "Approve request"
	}
	checking := blocks.NoticeModal(title, fmt.Sprintf("Checking that %s is available in %s…",
		blocks.Escape(spec.MachineType), blocks.Escape(spec.Region)))
	if !ack(slack.NewUpdateViewSubmissionResponse(&checking)) {
		return nil, false
	}
	available, err := h.cfg.Catalog.CheckAvailability(ctx, spec.Region, spec.MachineType)
	if err != nil {
		// Availability is advisory: the create call fails anyway when the
		// type cannot start, and its message is shown then.
		h.log.Warn().Err(err).Str("user_id", cb.User.ID).Str("machine_type", spec.MachineType).Str("region", spec.Region).
			Msg("availability check failed; creating anyway")
		available = true
	}
	if !available {
		h.log.Info().Str("user_id", cb.User.ID).Str("machine_type", spec.MachineType).Str("region", spec.Region).
			Msg("machine type not available; form reopened")
		form := blocks.FormModal(blocks.Form{
			Mode:            formMode(cb.View.CallbackID),
			Spec:            spec,
			PrivateMetadata: cb.View.PrivateMetadata,
			Networks:        h.cfg.Catalog.Networks(),
			Notice:          ":warning: " + unavailableText(spec),
		})
		if _, err := h.cfg.Views.Update(ctx, form, "", cb.View.ID); err != nil {
			h.fail("slack", err, "user_id", cb.User.ID, "view_id", cb.View.ID)
			h.tellError(ctx, chat.Destination{ChannelID: meta.ChannelID, UserID: cb.User.ID, ResponseURL: meta.ResponseURL},
				unavailableText(spec)+" Nothing was created.")
		}
		return nil, false
	}
	done := blocks.NoticeModal(title, fmt.Sprintf("Creating *%s*. The result will be posted in <#%s>.",
		blocks.Escape(spec.Name), meta.ChannelID))
	if _, err := h.cfg.Views.Update(ctx, done, "", cb.View.ID); err != nil {
		h.log.Debug().Err(err).Str("view_id", cb.View.ID).Msg("show the creating view")
	}
	return func() bool { return true }, true
}

func unavailableText(spec paperspacebot.Spec) string {
	return fmt.Sprintf("%s is not available in %s right now. Choose another machine type or region.", spec.MachineType, spec.Region)
}

func formMode(callback string) blocks.FormMode {
	switch callback {
	case blocks.CallbackRequest:
		return blocks.FormRequest
	case blocks.CallbackApprove:
		return blocks.FormApprove
	}
	return blocks.FormCreate
}

// submitRequest stores a member's request as pending, posts it in the
// approvals channel and shows the member where it went.
func (h *Handler) submitRequest(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc,
	spec paperspacebot.Spec, meta viewMetadata, dest chat.Destination) {
	user := cb.User.ID
	if h.cfg.ApprovalChannelID == "" {
		ack(slack.NewUpdateViewSubmissionResponse(ptr(blocks.NoticeModal("Request machine", h.memberRefusal()))))
		return
	}
	if !ack(nil) {
		return
	}
	now := h.now()
	r := &paperspacebot.Request{
		ID:          store.NewID(),
		Key:         "view:" + cb.View.ID,
		State:       paperspacebot.StatePending,
		Spec:        spec,
		RequesterID: user,
		TeamID:      cb.Team.ID,
		ChannelID:   meta.ChannelID,
		ResponseURL: meta.ResponseURL,
		ExpiresAt:   now.Add(h.cfg.RequestExpiry),
	}
	stored, err := h.cfg.Store.CreateRequest(ctx, r, store.Audit{Actor: user, Action: "request", Outcome: "waiting for an admin"})
	switch {
	case errors.Is(err, store.ErrDuplicate):
		h.log.Info().Str("request_id", stored.ID).Str("user_id", user).Msg("request already stored")
		return
	case err != nil:
		h.fail("store", err, "user_id", user)
		h.tellError(ctx, dest, "Your request could not be saved. Try again in a minute.")
		return
	}
	h.log.Info().Str("request_id", stored.ID).Str("user_id", user).Msg("request stored; waiting for an admin")

	posted, err := h.cfg.Poster.Post(ctx, chat.Destination{ChannelID: h.cfg.ApprovalChannelID}, blocks.RequestMessage(stored, now))
	if err != nil {
		h.fail("slack", err, "request_id", stored.ID, "channel_id", h.cfg.ApprovalChannelID)
		h.tellError(ctx, dest, fmt.Sprintf("Your request for %s is saved, but it could not be posted for the admins. Ask %s to run `%s requests`.",
			blocks.Escape(spec.Name), h.cfg.Authz.Contacts(), h.commandName()))
		return
	}
	if _, err := h.cfg.Store.Update(ctx, stored.ID, nil, func(r *paperspacebot.Request) error {
		r.ApprovalChannelID, r.ApprovalTS = posted.ChannelID, posted.TS
		return nil
	}); err != nil {
		h.fail("store", err, "request_id", stored.ID)
	}
	h.tell(ctx, dest, blocks.RequestSentNotice(stored, h.cfg.ApprovalChannelID))
}

// submitDeny handles the deny modal: an admin denies a pending request
// with a reason, which the requester gets by DM.
func (h *Handler) submitDeny(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc) {
	user := cb.User.ID
	meta, err := decodeMetadata(cb.View.PrivateMetadata)
	if err != nil || meta.RequestID == "" {
		h.fail("decode", fmt.Errorf("deny modal without request id: %w", err), "user_id", user)
		ack(slack.NewUpdateViewSubmissionResponse(ptr(blocks.NoticeModal("Deny request", ":warning: This form is out of date. Press Deny on the request again."))))
		return
	}
	reason := denyReason(cb.View.State)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		ack(slack.NewErrorsViewSubmissionResponse(map[string]string{blocks.BlockDenyReason: "Give a reason: the requester gets it by DM."}))
		return
	case n > maxDenyReason:
		ack(slack.NewErrorsViewSubmissionResponse(map[string]string{
			blocks.BlockDenyReason: fmt.Sprintf("The reason is %d characters long: use at most %d.", n, maxDenyReason),
		}))
		return
	}
	dest := chat.Destination{ChannelID: meta.MessageChannelID, UserID: user}
	if !h.allowAdmin(ctx, cb, ack, dest, "deny requests") {
		return
	}
	if !ack(nil) {
		return
	}
	now := h.now()
	r, err := h.cfg.Store.Transition(ctx, meta.RequestID, []paperspacebot.State{paperspacebot.StatePending}, paperspacebot.StateDenied,
		store.Audit{Actor: user, Action: "deny", Outcome: "denied: " + reason},
		func(r *paperspacebot.Request) error {
			r.DecidedBy, r.DecidedAt, r.DenyReason = user, now, reason
			return nil
		})
	if err != nil {
		h.decisionFailed(ctx, dest, meta.RequestID, err)
		return
	}
	h.log.Info().Str("request_id", r.ID).Str("user_id", user).Msg("request denied")
	h.cfg.Observer.Decision("denied")
	h.announceDecision(ctx, r)
}

// denyReason reads the reason from the deny modal: its deny_reason input,
// or else the only text in the view's state, so that a client that names
// the input differently still gets its reason through.
func denyReason(state *slack.ViewState) string {
	f := formValues{state: state}
	if reason := f.text(blocks.BlockDenyReason); reason != "" || state == nil {
		return reason
	}
	for blockID := range state.Values {
		if text := f.text(blockID); text != "" {
			return text
		}
	}
	return ""
}

func ptr[T any](v T) *T { return &v }
