// Package handlers decides what the bot does for each Slack interaction:
// the slash command and its subcommands, form submissions, the Approve,
// Deny and Retry buttons, and the searches behind the template and user
// menus. Every mutating step checks the caller's admin status again.
package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
	"github.com/paperspace-bot/paperspace-bot/bot"
	"github.com/paperspace-bot/paperspace-bot/chat"
	"github.com/paperspace-bot/paperspace-bot/paperspace"
	"github.com/paperspace-bot/paperspace-bot/provision"
	"github.com/paperspace-bot/paperspace-bot/slackapi"
	"github.com/paperspace-bot/paperspace-bot/store"
)

// Config configures a Handler.
type Config struct {
	API *slack.Client
	// Views opens and updates modals; when nil, API does.
	Views     ViewClient
	Poster    *chat.Poster
	Core      *paperspace.Client
	Store     store.Store
	Provision *provision.Service
	Authz     *Authorizer
	Catalog   *Catalog
	Log       zerolog.Logger
	Now       func() time.Time
	// Command is the slash command, such as "/paperspace".
	Command string
	// ApprovalChannelID is the channel that member requests go to. Empty
	// disables them.
	ApprovalChannelID string
	// RequestExpiry is how long a member's request waits for a decision.
	RequestExpiry time.Duration
	// Observer, when set, receives measurements.
	Observer Observer
}

// ViewClient opens and updates modals. slackapi.Views implements it.
type ViewClient interface {
	Open(ctx context.Context, triggerID string, view slack.ModalViewRequest) (slackapi.ViewRef, error)
	Update(ctx context.Context, view slack.ModalViewRequest, hash, viewID string) (slackapi.ViewRef, error)
	UpdateJSON(ctx context.Context, view json.RawMessage, hash, viewID string) (slackapi.ViewRef, error)
}

// apiViews is a ViewClient on slack-go's client.
type apiViews struct{ api *slack.Client }

func (v apiViews) Open(ctx context.Context, triggerID string, view slack.ModalViewRequest) (slackapi.ViewRef, error) {
	resp, err := v.api.OpenViewContext(ctx, triggerID, view)
	if err != nil {
		return slackapi.ViewRef{}, err
	}
	return slackapi.ViewRef{ID: resp.ID, Hash: resp.Hash}, nil
}

func (v apiViews) Update(ctx context.Context, view slack.ModalViewRequest, hash, viewID string) (slackapi.ViewRef, error) {
	resp, err := v.api.UpdateViewContext(ctx, view, "", hash, viewID)
	if err != nil {
		return slackapi.ViewRef{}, err
	}
	return slackapi.ViewRef{ID: resp.ID, Hash: resp.Hash}, nil
}

func (v apiViews) UpdateJSON(ctx context.Context, view json.RawMessage, hash, viewID string) (slackapi.ViewRef, error) {
	var decoded slack.ModalViewRequest
	if err := json.Unmarshal(view, &decoded); err != nil {
		return slackapi.ViewRef{}, fmt.Errorf("decode view: %w", err)
	}
	return v.Update(ctx, decoded, hash, viewID)
}

// Observer receives the handlers' measurements.
type Observer interface {
	HandlerError(kind string)
	Decision(decision string)
}

// Handler implements bot.Handler.
type Handler struct {
	cfg   Config
	log   zerolog.Logger
	now   func() time.Time
	forms formCache
}

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	if cfg.Views == nil {
		cfg.Views = apiViews{api: cfg.API}
	}
	return &Handler{cfg: cfg, log: cfg.Log, now: cfg.Now}
}

type nopObserver struct{}

func (nopObserver) HandlerError(string) {}
func (nopObserver) Decision(string)     {}

// Handle processes one envelope; see bot.Handler.
func (h *Handler) Handle(ctx context.Context, env *bot.Envelope, ack bot.AckFunc) {
	switch env.Type {
	case bot.TypeSlashCommands:
		var cmd slack.SlashCommand
		if err := json.Unmarshal(env.Payload, &cmd); err != nil {
			h.fail("decode", err, "envelope_id", env.EnvelopeID)
			return
		}
		h.command(ctx, cmd)
	case bot.TypeInteractive:
		var cb slack.InteractionCallback
		if err := json.Unmarshal(env.Payload, &cb); err != nil {
			h.fail("decode", err, "envelope_id", env.EnvelopeID)
			if ack != nil {
				ack(undecodableAck(env.InteractionType()))
			}
			return
		}
		h.interaction(ctx, &cb, ack)
	default:
		h.log.Debug().Str("envelope_id", env.EnvelopeID).Str("envelope_type", env.Type).Msg("envelope type not handled")
	}
}

func (h *Handler) interaction(ctx context.Context, cb *slack.InteractionCallback, ack bot.AckFunc) {
	switch cb.Type {
	case slack.InteractionTypeBlockSuggestion:
		ack(h.suggest(cb))
	case slack.InteractionTypeViewSubmission:
		h.submit(ctx, cb, ack)
	case slack.InteractionTypeBlockActions:
		h.action(ctx, cb)
	default:
		if ack != nil {
			ack(nil)
		}
		h.log.Debug().Str("interaction_type", string(cb.Type)).Str("user_id", cb.User.ID).Msg("interaction not handled")
	}
}

// undecodableAck returns the ack for an interaction payload that could not
// be decoded: no options for a menu, and a notice in place of a form, so
// the user is not left with a modal that closed without a word.
func undecodableAck(interactionType string) any {
	if interactionType == string(slack.InteractionTypeBlockSuggestion) {
		return blocks.OptionsResponse(nil, 0)
	}
	notice := blocks.NoticeModal("Form not read", ":warning: The bot could not read this form, so nothing was changed. Close it and start again.")
	return slack.NewUpdateViewSubmissionResponse(&notice)
}

// fail logs an error that a handler handled, and counts it by kind.
func (h *Handler) fail(kind string, err error, fields ...string) {
	event := h.log.Error().Err(err).Str("kind", kind)
	for i := 0; i+1 < len(fields); i += 2 {
		event = event.Str(fields[i], fields[i+1])
	}
	event.Msg("handler error")
	h.cfg.Observer.HandlerError(kind)
}

// tell shows msg to a user alone, logging a failure to deliver it.
func (h *Handler) tell(ctx context.Context, d chat.Destination, msg blocks.Message) {
	if err := h.cfg.Poster.Ephemeral(ctx, d, msg); err != nil {
		h.fail("slack", err, "user_id", d.UserID, "channel_id", d.ChannelID)
	}
}

// tellError shows an error message to a user alone.
func (h *Handler) tellError(ctx context.Context, d chat.Destination, text string) {
	h.tell(ctx, d, blocks.ErrorMessage(text))
}
