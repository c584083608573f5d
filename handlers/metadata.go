package handlers

import (
	"encoding/json"
	"fmt"

	"github.com/paperspace-bot/paperspace-bot/blocks"
)

// viewMetadata is carried in a modal's private_metadata from the command
// or button that opened it to the submission.
type viewMetadata struct {
	// ChannelID is where the command ran; results go there.
	ChannelID string `json:"c,omitempty"`
	// ResponseURL is the command's response_url, for fallbacks.
	ResponseURL string `json:"r,omitempty"`
	// RequestID is the request an approval or deny modal decides.
	RequestID string `json:"q,omitempty"`
	// MessageChannelID and MessageTS locate the request message whose
	// button opened the modal.
	MessageChannelID string `json:"mc,omitempty"`
	MessageTS        string `json:"mt,omitempty"`
}

// encode returns the metadata as JSON. A response_url that would push the
// metadata past Slack's limit is left out; it is only a fallback.
func (m viewMetadata) encode() string {
	data, _ := json.Marshal(m)
	if len(data) > blocks.MaxPrivateMetadata {
		m.ResponseURL = ""
		data, _ = json.Marshal(m)
	}
	return string(data)
}

func decodeMetadata(s string) (viewMetadata, error) {
	var m viewMetadata
	if s == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return viewMetadata{}, fmt.Errorf("decode private_metadata: %w", err)
	}
	return m, nil
}
