package handlers

import (
	"github.com/slack-go/slack"

	"github.com/paperspace-bot/paperspace-bot/blocks"
)

// suggest returns the options for a block_suggestion from the template or
// user menu: the best matches for the typed text, from the in-memory
// catalog, or an explicit empty list when nothing matches.
func (h *Handler) suggest(cb *slack.InteractionCallback) any {
	id := cb.ActionID
	if id == "" {
		id = cb.BlockID
	}
	switch id {
	case blocks.BlockTemplate:
		templates, total := h.cfg.Catalog.SearchTemplates(cb.Value)
		options := make([]*slack.OptionBlockObject, 0, len(templates))
		for _, t := range templates {
			options = append(options, blocks.TemplateOption(t))
		}
		return blocks.OptionsResponse(options, total)
	case blocks.BlockAssignee:
		users, total := h.cfg.Catalog.SearchUsers(cb.Value)
		options := make([]*slack.OptionBlockObject, 0, len(users))
		for _, u := range users {
			options = append(options, blocks.UserOption(u))
		}
		return blocks.OptionsResponse(options, total)
	}
	h.log.Warn().Str("action_id", cb.ActionID).Str("block_id", cb.BlockID).Str("user_id", cb.User.ID).
		Msg("options asked for an unknown menu")
	return blocks.OptionsResponse(nil, 0)
}
