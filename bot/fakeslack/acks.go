package fakeslack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// maxAckBytes is the size from which Slack drops a Socket Mode response
// without telling the app. slack-go v0.36.0 refuses to send responses of
// 20480 bytes or more for that reason (socketmode.maxResponseSize).
const maxAckBytes = 20480

// applyAckLocked does what Slack does with the first ack of an envelope:
// it shows a slash command's response, applies a view submission's
// response_action and checks a block suggestion's options. It returns why
// Slack would reject or ignore the ack, or "".
func (s *Server) applyAckLocked(rec *sentEnvelope, payload json.RawMessage, frameBytes int) string {
	if frameBytes >= maxAckBytes {
		return fmt.Sprintf("ack of %d bytes dropped: Slack ignores Socket Mode responses of %d bytes or more", frameBytes, maxAckBytes)
	}
	if payload == nil && !(rec.env.Type == TypeInteractive && rec.payload.InteractionType == "view_submission") {
		return ""
	}
	var body map[string]any
	if payload != nil {
		if err := json.Unmarshal(payload, &body); err != nil {
			return fmt.Sprintf("ack payload is not a JSON object: %v", err)
		}
	}
	if payload != nil && !rec.env.AcceptsResponsePayload {
		return "ack payload ignored: the envelope does not accept a response payload"
	}

	switch {
	case rec.env.Type == TypeSlashCommands:
		return s.applySlashResponseLocked(rec.payload, body)
	case rec.env.Type == TypeInteractive && rec.payload.InteractionType == "view_submission":
		return s.applyViewResponseLocked(rec.payload.View.ID, body)
	case rec.env.Type == TypeInteractive && rec.payload.InteractionType == "block_suggestion":
		if problems := validateOptionsResponse(body); len(problems) > 0 {
			return "invalid options: " + strings.Join(problems, "; ")
		}
	}
	return ""
}

// applySlashResponseLocked posts a slash command's ack payload as Slack
// does: an ephemeral message to the user, or an in-channel message when
// response_type is "in_channel".
func (s *Server) applySlashResponseLocked(p payloadSummary, body map[string]any) string {
	text, _ := body["text"].(string)
	blocksField, hasBlocks := body["blocks"]
	if text == "" && !hasBlocks {
		return ""
	}
	var blocks json.RawMessage
	if hasBlocks {
		list, ok := blocksField.([]any)
		if !ok {
			return "invalid_blocks_format: blocks must be an array"
		}
		if problems := validateBlocks(list, "/blocks", maxMessageBlocks); len(problems) > 0 {
			return "invalid_blocks: " + strings.Join(problems, "; ")
		}
		blocks, _ = json.Marshal(list)
	}
	responseType, _ := body["response_type"].(string)
	s.storeMessageLocked(Message{
		Channel:   p.ChannelID,
		Text:      text,
		Blocks:    blocks,
		Ephemeral: responseType != "in_channel",
		User:      ephemeralUser(responseType, p.UserID),
		Via:       "ack",
	})
	return ""
}

// applyViewResponseLocked applies a view_submission ack:
//   - no response_action closes the submitted view;
//   - "clear" closes its whole stack;
//   - "update" replaces it and keeps its id;
//   - "push" pushes a new view onto it;
//   - "errors" keeps it open, and its keys must be input block ids.
//
// NOTE: Slack's docs do not say whether "update" keeps the view id. The
// fake keeps it, so views.update by view_id still finds the view.
func (s *Server) applyViewResponseLocked(viewID string, body map[string]any) string {
	v := s.openViewLocked(viewID)
	if v == nil {
		return ""
	}
	action, _ := body["response_action"].(string)
	switch action {
	case "":
		s.closeViewLocked(v)
	case "clear":
		s.closeViewLocked(s.web.views[v.rootID])
	case "errors":
		errs, ok := body["errors"].(map[string]any)
		if !ok || len(errs) == 0 {
			return "response_action errors needs a non-empty errors object"
		}
		inputs := inputBlockIDs(v.fields)
		var unknown []string
		for key := range errs {
			if !inputs[key] {
				unknown = append(unknown, key)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			return fmt.Sprintf("errors keys %s name no input block of view %s, so Slack shows a generic error", strings.Join(unknown, ", "), v.id)
		}
	case "update", "push":
		fields, ok := body["view"].(map[string]any)
		if !ok {
			return "response_action " + action + " needs a view"
		}
		if problems := validateView(fields, "/view"); len(problems) > 0 {
			return "invalid view: " + strings.Join(problems, "; ")
		}
		var err error
		if action == "update" {
			err = s.replaceViewLocked(v, fields)
		} else {
			_, err = s.newViewLocked(fields, v)
		}
		if err != nil {
			return "response_action " + action + ": " + err.Error()
		}
	default:
		return fmt.Sprintf("unknown response_action %q", action)
	}
	return ""
}
