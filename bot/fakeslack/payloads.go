package fakeslack

import (
	"encoding/json"
	"fmt"
	"maps"
)

// Defaults that the payload builders fill in for empty arguments.
const (
	DefaultCommand     = "/paperspace"
	DefaultChannelID   = "C_GENERAL"
	DefaultChannelName = "general"
	// VerificationToken is the deprecated verification token that Slack
	// still puts in payloads. It is not a credential.
	VerificationToken = "fake-verification-token"
)

// OptionObject is Slack's option object: one option of a select menu,
// checkbox group or radio group.
type OptionObject struct {
	Text  string
	Value string
}

// MarshalJSON encodes the option as Slack's option object.
func (o OptionObject) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]any{
		"text":  plainText(o.Text),
		"value": o.Value,
	})
}

func plainText(text string) map[string]any {
	return map[string]any{"type": "plain_text", "text": text, "emoji": true}
}

// StateValue is one input's entry in a view's state.values, which Slack
// keys by block_id and then action_id.
type StateValue struct {
	// Type is the element type, for example "plain_text_input",
	// "static_select", "external_select", "users_select" or "checkboxes".
	// When empty it follows from the field that is set: SelectedOption
	// gives "static_select", SelectedOptions "checkboxes", SelectedUser
	// "users_select", and otherwise "plain_text_input".
	Type            string
	Value           string
	SelectedOption  *OptionObject
	SelectedOptions []OptionObject
	SelectedUser    string
}

// TextValue is a plain_text_input's state with value v.
func TextValue(v string) StateValue {
	return StateValue{Type: "plain_text_input", Value: v}
}

// SelectValue is a static_select's state with one option selected.
func SelectValue(value, text string) StateValue {
	return StateValue{Type: "static_select", SelectedOption: &OptionObject{Text: text, Value: value}}
}

// ExternalSelectValue is an external_select's state with one option
// selected.
func ExternalSelectValue(value, text string) StateValue {
	return StateValue{Type: "external_select", SelectedOption: &OptionObject{Text: text, Value: value}}
}

// MarshalJSON encodes the value as Slack does: "value" for text inputs
// (null when empty), "selected_option" for single selects (null when none is
// selected), "selected_options" and "selected_user" where set.
func (v StateValue) MarshalJSON() ([]byte, error) {
	kind := v.Type
	if kind == "" {
		switch {
		case v.SelectedOption != nil:
			kind = "static_select"
		case v.SelectedOptions != nil:
			kind = "checkboxes"
		case v.SelectedUser != "":
			kind = "users_select"
		default:
			kind = "plain_text_input"
		}
	}
	out := map[string]any{"type": kind}
	switch {
	case v.SelectedOption != nil:
		out["selected_option"] = v.SelectedOption
	case v.SelectedOptions != nil:
		out["selected_options"] = v.SelectedOptions
	case v.SelectedUser != "":
		out["selected_user"] = v.SelectedUser
	case kind == "static_select" || kind == "external_select" || kind == "radio_buttons":
		out["selected_option"] = nil
	case v.Value == "":
		out["value"] = nil
	default:
		out["value"] = v.Value
	}
	return json.Marshal(out)
}

// Values is a view's state.values: block_id, then action_id, then value.
type Values map[string]map[string]StateValue

// Action is one element interaction in a block_actions payload.
type Action struct {
	ActionID string
	BlockID  string
	// Type is the element type. The default is "button".
	Type string
	// Value is a button's value.
	Value string
	// Text is a button's text.
	Text string
	// SelectedOption is a select menu's chosen option.
	SelectedOption *OptionObject
}

// SlashCommandArgs are the fields of a slash command invocation. Empty
// fields get defaults: Command DefaultCommand, ChannelID DefaultChannelID,
// ChannelName DefaultChannelName, UserName UserID, and new TriggerID and
// EnvelopeID values.
type SlashCommandArgs struct {
	UserID      string
	UserName    string
	ChannelID   string
	ChannelName string
	Command     string
	Text        string
	TriggerID   string
	EnvelopeID  string
}

// ViewArgs selects the view of an interaction payload. When ID names a view
// the server stores, the payload carries that view as stored (blocks, title,
// hash and all), and the other fields override it when set. Otherwise the
// payload carries a view built from these fields alone.
type ViewArgs struct {
	ID              string
	CallbackID      string
	PrivateMetadata string
	Hash            string
	ExternalID      string
	// Values is the view's state.values.
	Values Values
}

// ViewSubmissionArgs are the fields of a view_submission payload. Empty
// TriggerID and EnvelopeID get new values.
type ViewSubmissionArgs struct {
	UserID     string
	View       ViewArgs
	TriggerID  string
	EnvelopeID string
}

// BlockActionsArgs are the fields of a block_actions payload. Set ChannelID
// and MessageTS for a click in a message, or View.ID for a click in a view.
// Empty TriggerID and EnvelopeID get new values.
type BlockActionsArgs struct {
	UserID    string
	Actions   []Action
	ChannelID string
	MessageTS string
	View      ViewArgs
	TriggerID string
	// EnvelopeID is the envelope id; empty gets a new one.
	EnvelopeID string
}

// BlockSuggestionArgs are the fields of a block_suggestion payload, which
// an external_select in a view sends as the user types.
type BlockSuggestionArgs struct {
	UserID   string
	ActionID string
	BlockID  string
	// Value is the text the user typed.
	Value      string
	View       ViewArgs
	EnvelopeID string
}

func (s *Server) userObject(id string) map[string]any {
	return map[string]any{"id": id, "username": id, "name": id, "team_id": s.cfg.teamID}
}

func (s *Server) teamObject() map[string]any {
	return map[string]any{"id": s.cfg.teamID, "domain": s.cfg.teamDomain}
}

// interactionBase returns the fields every interaction payload has.
func (s *Server) interactionBase(kind, userID string) map[string]any {
	return map[string]any{
		"type":                  kind,
		"team":                  s.teamObject(),
		"user":                  s.userObject(userID),
		"api_app_id":            s.cfg.appID,
		"token":                 VerificationToken,
		"is_enterprise_install": false,
		"enterprise":            nil,
	}
}

// SlashCommand builds a slash_commands envelope, as Slack sends when a user
// runs a command. Its response_url posts ephemeral or in-channel messages to
// the command's channel.
func (s *Server) SlashCommand(a SlashCommandArgs) Envelope {
	if a.Command == "" {
		a.Command = DefaultCommand
	}
	if a.ChannelID == "" {
		a.ChannelID = DefaultChannelID
	}
	if a.ChannelName == "" {
		a.ChannelName = DefaultChannelName
	}
	if a.UserName == "" {
		a.UserName = a.UserID
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	payload := map[string]any{
		"token":                 VerificationToken,
		"team_id":               s.cfg.teamID,
		"team_domain":           s.cfg.teamDomain,
		"channel_id":            a.ChannelID,
		"channel_name":          a.ChannelName,
		"user_id":               a.UserID,
		"user_name":             a.UserName,
		"command":               a.Command,
		"text":                  a.Text,
		"api_app_id":            s.cfg.appID,
		"is_enterprise_install": "false",
		"response_url":          s.newResponseURLLocked(&responseTarget{channel: a.ChannelID, user: a.UserID}),
		"trigger_id":            s.newTriggerLocked(a.TriggerID, ""),
	}
	return Envelope{
		Type:                   TypeSlashCommands,
		EnvelopeID:             s.envelopeIDLocked(a.EnvelopeID),
		Payload:                payload,
		AcceptsResponsePayload: true,
	}
}

// ViewSubmission builds an interactive envelope with a view_submission
// payload, as Slack sends when a user submits a modal. Its ack may carry a
// response_action (see Ack).
func (s *Server) ViewSubmission(a ViewSubmissionArgs) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := s.viewObjectLocked(a.View)
	payload := s.interactionBase("view_submission", a.UserID)
	payload["trigger_id"] = s.newTriggerLocked(a.TriggerID, idOf(view))
	payload["view"] = view
	payload["response_urls"] = []any{}
	return Envelope{
		Type:                   TypeInteractive,
		EnvelopeID:             s.envelopeIDLocked(a.EnvelopeID),
		Payload:                payload,
		AcceptsResponsePayload: true,
	}
}

// BlockActions builds an interactive envelope with a block_actions payload,
// as Slack sends when a user clicks a button or picks an option. A click in
// a message carries the stored message and a response_url for it.
func (s *Server) BlockActions(a BlockActionsArgs) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	payload := s.interactionBase("block_actions", a.UserID)

	actionTS := s.nextTSLocked()
	actions := make([]map[string]any, 0, len(a.Actions))
	for _, act := range a.Actions {
		actions = append(actions, actionObject(act, actionTS))
	}
	payload["actions"] = actions

	viewID := ""
	if a.View.ID != "" || a.View.CallbackID != "" {
		view := s.viewObjectLocked(a.View)
		viewID = idOf(view)
		payload["container"] = map[string]any{"type": "view", "view_id": viewID}
		payload["view"] = view
	} else {
		payload["container"] = map[string]any{
			"type":         "message",
			"message_ts":   a.MessageTS,
			"channel_id":   a.ChannelID,
			"is_ephemeral": false,
		}
		payload["channel"] = map[string]any{"id": a.ChannelID, "name": a.ChannelID}
		payload["message"] = s.storedMessageObjectLocked(a.ChannelID, a.MessageTS)
		payload["state"] = map[string]any{"values": map[string]any{}}
		payload["response_url"] = s.newResponseURLLocked(&responseTarget{
			channel:   a.ChannelID,
			user:      a.UserID,
			messageTS: a.MessageTS,
		})
	}
	payload["trigger_id"] = s.newTriggerLocked(a.TriggerID, viewID)
	return Envelope{
		Type:       TypeInteractive,
		EnvelopeID: s.envelopeIDLocked(a.EnvelopeID),
		Payload:    payload,
	}
}

// BlockSuggestion builds an interactive envelope with a block_suggestion
// payload, as Slack sends when a user types in an external_select. The ack
// payload carries the options.
func (s *Server) BlockSuggestion(a BlockSuggestionArgs) Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	view := s.viewObjectLocked(a.View)
	payload := s.interactionBase("block_suggestion", a.UserID)
	payload["container"] = map[string]any{"type": "view", "view_id": idOf(view)}
	payload["action_id"] = a.ActionID
	payload["block_id"] = a.BlockID
	payload["value"] = a.Value
	payload["view"] = view
	return Envelope{
		Type:                   TypeInteractive,
		EnvelopeID:             s.envelopeIDLocked(a.EnvelopeID),
		Payload:                payload,
		AcceptsResponsePayload: true,
	}
}

func (s *Server) envelopeIDLocked(id string) string {
	if id != "" {
		return id
	}
	return s.newEnvelopeIDLocked()
}

func idOf(view map[string]any) string {
	id, _ := view["id"].(string)
	return id
}

// viewObjectLocked returns the view object of an interaction payload: the
// stored view when a.ID names one, with a's fields laid over it.
func (s *Server) viewObjectLocked(a ViewArgs) map[string]any {
	out := map[string]any{}
	if v, ok := s.web.views[a.ID]; ok {
		if err := json.Unmarshal(v.raw, &out); err != nil {
			panic(fmt.Sprintf("fakeslack: decode stored view %s: %v", v.id, err))
		}
	} else {
		out = map[string]any{
			"id":                    a.ID,
			"team_id":               s.cfg.teamID,
			"type":                  "modal",
			"blocks":                []any{},
			"private_metadata":      "",
			"callback_id":           "",
			"hash":                  "",
			"root_view_id":          a.ID,
			"previous_view_id":      nil,
			"app_id":                s.cfg.appID,
			"external_id":           "",
			"app_installed_team_id": s.cfg.teamID,
			"bot_id":                s.cfg.botID,
		}
	}
	set := map[string]string{
		"callback_id":      a.CallbackID,
		"private_metadata": a.PrivateMetadata,
		"hash":             a.Hash,
		"external_id":      a.ExternalID,
	}
	for name, value := range set {
		if value != "" {
			out[name] = value
		}
	}
	values := map[string]any{}
	for blockID, byAction := range a.Values {
		values[blockID] = maps.Clone(byAction)
	}
	out["state"] = map[string]any{"values": values}
	return out
}

// storedMessageObjectLocked returns the stored message at channel and ts as
// Slack's message object, or a bare one when the server does not store it.
func (s *Server) storedMessageObjectLocked(channel, ts string) map[string]any {
	if m, ok := s.web.messageIndex[messageKey{channel, ts}]; ok {
		return s.messageJSON(m.Message)
	}
	return map[string]any{"type": "message", "ts": ts, "text": ""}
}

func actionObject(a Action, actionTS string) map[string]any {
	kind := a.Type
	if kind == "" {
		kind = "button"
	}
	out := map[string]any{
		"type":      kind,
		"action_id": a.ActionID,
		"block_id":  a.BlockID,
		"action_ts": actionTS,
	}
	if kind == "button" {
		out["text"] = plainText(a.Text)
		out["value"] = a.Value
	}
	if a.SelectedOption != nil {
		out["selected_option"] = a.SelectedOption
	}
	return out
}
