package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	paperspacebot "github.com/paperspace-bot/paperspace-bot"
	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/slackapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// command runs a slash command: "create [name]", "requests", "list",
// "status <machine-id>", "templates [text]" or "help". Anyone may call it;
// create checks the caller's admin status, and requests is for admins.
func (h *Handler) command(ctx context.Context, cmd slack.SlashCommand) {
	sub, rest := splitCommand(cmd.Text)
	dest := chat.Destination{ChannelID: cmd.ChannelID, UserID: cmd.UserID, ResponseURL: cmd.ResponseURL}
	h.log.Info().Str("user_id", cmd.UserID).Str("channel_id", cmd.ChannelID).Str("subcommand", sub).Msg("slash command")

	switch sub {
	case "create":
		h.openCreate(ctx, cmd, rest)
	case "", "help":
		h.tell(ctx, dest, blocks.HelpMessage(h.commandName()))
	case "requests":
		h.listRequests(ctx, cmd, dest)
	case "list":
		h.listMachines(ctx, dest)
	case "status":
		h.machineStatus(ctx, dest, rest)
	case "templates":
		h.listTemplates(ctx, dest, rest)
	default:
		help := blocks.HelpMessage(h.commandName())
		note := blocks.ErrorMessage(fmt.Sprintf("Unknown subcommand %q.", sub))
		h.tell(ctx, dest, blocks.Message{Text: note.Text + " " + help.Text, Blocks: append(note.Blocks, help.Blocks...)})
	}
}

func (h *Handler) commandName() string {
	if h.cfg.Command == "" {
		return "/paperspace"
	}
	return h.cfg.Command
}

// maxCommandText bounds the command text the bot reads, in bytes; no
// subcommand needs more.
const maxCommandText = 1000

// splitCommand returns the lower-case subcommand and the rest of the text.
func splitCommand(text string) (sub, rest string) {
	if len(text) > maxCommandText {
		text = strings.ToValidUTF8(text[:maxCommandText], "")
	}
	text = strings.TrimSpace(text)
	sub, rest, _ = strings.Cut(text, " ")
	return strings.ToLower(sub), strings.TrimSpace(rest)
}

// openCreate opens the create form, or the request form for a member, at
// once with the trigger id, then fills it with views.update. When requests
// are not enabled, a member gets an ephemeral refusal and no form opens.
func (h *Handler) openCreate(ctx context.Context, cmd slack.SlashCommand, name string) {
	dest := chat.Destination{ChannelID: cmd.ChannelID, UserID: cmd.UserID, ResponseURL: cmd.ResponseURL}
	admin, known := h.cfg.Authz.Cached(cmd.UserID)
	if known && !admin && h.cfg.ApprovalChannelID == "" {
		h.refuseMember(ctx, dest)
		return
	}

	view, err := h.cfg.Views.Open(ctx, cmd.TriggerID, blocks.LoadingModal("Create machine", "Loading the form…"))
	if err != nil {
		h.openFailed(ctx, dest, err, fmt.Sprintf("Run `%s create` again", h.commandName()))
		return
	}
	h.cfg.Catalog.PrefetchAvailability()

	if !known {
		admin, err = h.cfg.Authz.IsAdmin(ctx, cmd.UserID)
		if err != nil {
			h.fail("authorization", err, "user_id", cmd.UserID)
			h.updateView(ctx, view, blocks.NoticeModal("Create machine",
				":warning: Could not check your admin status with Slack. Try again in a minute."))
			return
		}
		if !admin && h.cfg.ApprovalChannelID == "" {
			h.updateView(ctx, view, blocks.NoticeModal("Create machine", h.memberRefusal()))
			h.refuseMember(ctx, dest)
			return
		}
	}

	mode := blocks.FormCreate
	if !admin {
		mode = blocks.FormRequest
	}
	meta := viewMetadata{ChannelID: cmd.ChannelID, ResponseURL: cmd.ResponseURL}
	networks := h.cfg.Catalog.Networks()
	if name == "" {
		// The empty form is the same for every command but for its
		// private_metadata, so its JSON comes from a cache.
		encoded, err := h.forms.encode(mode, networks, meta.encode())
		if err == nil {
			h.updateViewJSON(ctx, view, encoded)
			return
		}
		h.log.Warn().Err(err).Msg("encode the cached form; building it anew")
	}
	form := blocks.FormModal(blocks.Form{
		Mode:            mode,
		Spec:            paperspacebot.Spec{Name: name},
		PrivateMetadata: meta.encode(),
		Networks:        networks,
	})
	h.updateView(ctx, view, form)
}

// updateViewJSON is updateView with the view already encoded.
func (h *Handler) updateViewJSON(ctx context.Context, view slackapi.ViewRef, next json.RawMessage) {
	if _, err := h.cfg.Views.UpdateJSON(ctx, next, view.Hash, view.ID); err != nil {
		var slackErr slack.SlackErrorResponse
		if errors.As(err, &slackErr) && slackErr.Err == "hash_conflict" {
			_, err = h.cfg.Views.UpdateJSON(ctx, next, "", view.ID)
		}
		if err != nil {
			h.fail("slack", err, "view_id", view.ID)
		}
	}
}

// updateView replaces an open view. A user who closed it meanwhile makes
// views.update fail with not_found, which is logged only.
func (h *Handler) updateView(ctx context.Context, view slackapi.ViewRef, next slack.ModalViewRequest) {
	encoded, err := json.Marshal(next)
	if err != nil {
		h.fail("encode", err, "view_id", view.ID)
		return
	}
	h.updateViewJSON(ctx, view, encoded)
}

// openFailed shows the invoker why the form did not open. again is what
// to do to open it again, such as "Run `/paperspace create` again".
func (h *Handler) openFailed(ctx context.Context, dest chat.Destination, err error, again string) {
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) {
		switch slackErr.Err {
		case "exchanged_trigger_id":
			// Another delivery of the same command, here or on another
			// replica, opened the form already.
			h.log.Info().Str("user_id", dest.UserID).Msg("views.open: trigger already used by another delivery; nothing to do")
			return
		case "expired_trigger_id", "invalid_trigger_id":
			h.log.Warn().Err(err).Str("user_id", dest.UserID).Str("channel_id", dest.ChannelID).
				Msg("views.open: trigger expired before the form opened")
			h.cfg.Observer.HandlerError("expired_trigger")
			h.tellError(ctx, dest, "Slack took too long to open the form. "+again+".")
			return
		}
	}
	h.fail("slack", err, "user_id", dest.UserID, "channel_id", dest.ChannelID)
	h.tellError(ctx, dest, fmt.Sprintf("The form did not open (%s). %s; if it keeps failing, tell whoever runs the bot.", describeSlackError(err), again))
}

func (h *Handler) memberRefusal() string {
	return fmt.Sprintf("Only team admins can create machines, and requests for machines are not enabled here. Ask %s to create it for you.",
		h.cfg.Authz.Contacts())
}

func (h *Handler) refuseMember(ctx context.Context, dest chat.Destination) {
	h.log.Info().Str("user_id", dest.UserID).Msg("member rejected: requests are not enabled")
	h.tellError(ctx, dest, h.memberRefusal())
}

// describeSlackError returns Slack's error code, or the error text.
func describeSlackError(err error) string {
	var slackErr slack.SlackErrorResponse
	if errors.As(err, &slackErr) {
		return slackErr.Err
	}
	return err.Error()
}

// listRequests shows the pending requests to an admin.
func (h *Handler) listRequests(ctx context.Context, cmd slack.SlashCommand, dest chat.Destination) {
	admin, err := h.cfg.Authz.IsAdmin(ctx, cmd.UserID)
	if err != nil || !admin {
		if err != nil {
			h.fail("authorization", err, "user_id", cmd.UserID)
		}
		h.tellError(ctx, dest, "Only team admins can list pending requests.")
		return
	}
	pending, err := h.cfg.Store.ListRequests(ctx, store.Filter{States: []paperspacebot.State{paperspacebot.StatePending}})
	if err != nil {
		h.fail("store", err, "user_id", cmd.UserID)
		h.tellError(ctx, dest, "Could not read the pending requests. Try again in a minute.")
		return
	}
	for _, msg := range blocks.RequestList(pending, h.now()) {
		h.tell(ctx, dest, msg)
	}
}

// listMachines shows the machines the bot created, with their last known
// state.
func (h *Handler) listMachines(ctx context.Context, dest chat.Destination) {
	reqs, err := h.cfg.Store.ListRequests(ctx, store.Filter{States: []paperspacebot.State{
		paperspacebot.StateCreated, paperspacebot.StateReady, paperspacebot.StateStalled,
	}})
	if err != nil {
		h.fail("store", err, "user_id", dest.UserID)
		h.tellError(ctx, dest, "Could not read the machines. Try again in a minute.")
		return
	}
	for _, msg := range blocks.MachineList(reqs) {
		h.tell(ctx, dest, msg)
	}
}

// machineStatus shows one machine live from the Core API.
func (h *Handler) machineStatus(ctx context.Context, dest chat.Destination, machineID string) {
	machineID, _, _ = strings.Cut(strings.TrimSpace(machineID), " ")
	if machineID == "" {
		h.tellError(ctx, dest, fmt.Sprintf("Give a machine id: `%s status ps123abc`.", h.commandName()))
		return
	}
	if !validMachineID(machineID) {
		h.tellError(ctx, dest, fmt.Sprintf("%s is not a machine id: machine ids are letters and digits, such as `ps123abc`.",
			blocks.Escape(blocks.Truncate(machineID, 40))))
		return
	}
	callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	machine, err := h.cfg.Core.GetMachine(callCtx, machineID)
	switch {
	case paperspace.IsNotFound(err):
		h.tellError(ctx, dest, fmt.Sprintf("No machine %s was found.", blocks.Escape(machineID)))
	case paperspace.IsInvalidAPIKey(err):
		h.fail("core_api", err, "machine_id", machineID)
		h.tellError(ctx, dest, "The Core API rejected the bot's API key: ask whoever runs the bot to check PAPERSPACE_API_KEY.")
	case err != nil:
		h.fail("core_api", err, "machine_id", machineID)
		h.tellError(ctx, dest, fmt.Sprintf("Could not get machine %s: %s", blocks.Escape(machineID), blocks.Escape(coreMessage(err))))
	default:
		h.tell(ctx, dest, blocks.MachineStatus(machine))
	}
}

// validMachineID reports whether id looks like a Core API machine id:
// 1 to 64 ASCII letters and digits.
func validMachineID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// listTemplates shows the templates matching the text.
func (h *Handler) listTemplates(ctx context.Context, dest chat.Destination, query string) {
	templates, _ := h.cfg.Catalog.SearchTemplates(query)
	for _, msg := range blocks.TemplateList(templates, query) {
		h.tell(ctx, dest, msg)
	}
}

// coreMessage returns the Core API's message for err, or its text.
func coreMessage(err error) string {
	var apiErr *paperspace.Error
	if errors.As(err, &apiErr) && apiErr.Message != "" {
		return apiErr.Message
	}
	return err.Error()
}
