package bot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"strconv"
)

// Envelope types that Slack sends over Socket Mode.
const (
	TypeHello         = "hello"
	TypeDisconnect    = "disconnect"
	TypeSlashCommands = "slash_commands"
	TypeInteractive   = "interactive"
	TypeEventsAPI     = "events_api"
)

// Disconnect reasons that Slack sends in a disconnect message.
const (
	ReasonRefreshRequested  = "refresh_requested"
	ReasonWarning           = "warning"
	ReasonLinkDisabled      = "link_disabled"
	ReasonTooManyWebsockets = "too_many_websockets"
)

// Envelope is one Socket Mode message from Slack: an event to acknowledge
// (slash_commands, interactive, events_api) or a control message (hello,
// disconnect).
type Envelope struct {
	Type                   string          `json:"type"`
	EnvelopeID             string          `json:"envelope_id"`
	Payload                json.RawMessage `json:"payload"`
	AcceptsResponsePayload bool            `json:"accepts_response_payload"`
	// RetryAttempt counts Slack's earlier deliveries of this envelope.
	RetryAttempt int    `json:"retry_attempt"`
	RetryReason  string `json:"retry_reason"`

	// NumConnections is set on hello: the app's open Socket Mode
	// connections, this one included.
	NumConnections int `json:"num_connections"`
	// Reason is set on disconnect, for example "refresh_requested".
	Reason    string    `json:"reason"`
	DebugInfo debugInfo `json:"debug_info"`
}

type debugInfo struct {
	Host string `json:"host"`
	// ApproximateConnectionTime is how long, in seconds, Slack expects to
	// keep this connection before it requests a refresh.
	ApproximateConnectionTime int `json:"approximate_connection_time"`
}

// InteractionType returns the payload's "type" field for an interactive
// envelope, such as "view_submission" or "block_suggestion", and "" for
// other envelopes.
func (e *Envelope) InteractionType() string {
	if e.Type != TypeInteractive {
		return ""
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(e.Payload, &head); err != nil {
		return ""
	}
	return head.Type
}

// ackMessage is the acknowledgement sent back for an envelope.
type ackMessage struct {
	EnvelopeID string `json:"envelope_id"`
	Payload    any    `json:"payload,omitempty"`
}

// MaxAckPayloadBytes is the largest acknowledgement that Slack accepts:
// slack-go v0.36.0 rejects acks of 20 KiB or more because Slack drops them.
const MaxAckPayloadBytes = 20*1024 - 1

// MaxFrameBytes bounds one Socket Mode frame. Slack's largest payloads are
// view submissions, whose views are limited to 250 KB, plus their state.
// A larger frame closes the connection, and the bot reconnects.
const MaxFrameBytes = 4 << 20

// decodeEnvelope decodes a Socket Mode frame. When a field other than type
// and envelope_id has an unexpected JSON type, it keeps those two and the
// payload, so that the envelope is still acknowledged. The odd field takes
// its zero value.
func decodeEnvelope(data []byte) (*Envelope, error) {
	env := new(Envelope)
	err := json.Unmarshal(data, env)
	if err == nil {
		return env, nil
	}
	var head struct {
		Type         string          `json:"type"`
		EnvelopeID   string          `json:"envelope_id"`
		Payload      json.RawMessage `json:"payload"`
		RetryAttempt json.RawMessage `json:"retry_attempt"`
	}
	if json.Unmarshal(data, &head) != nil || head.Type == "" {
		return nil, fmt.Errorf("decode frame: %w", err)
	}
	env = &Envelope{Type: head.Type, EnvelopeID: head.EnvelopeID, Payload: head.Payload}
	env.RetryAttempt, _ = strconv.Atoi(string(bytes.Trim(head.RetryAttempt, `"`)))
	return env, nil
}

// claimKey is the key under which an envelope is claimed across processes:
// its id and a hash of its payload. A redelivery carries the same payload,
// so it maps to the same key, while an envelope id that a peer reuses for
// new content (a test double restarted, say) does not collide with an old
// claim.
func claimKey(env *Envelope) string {
	h := fnv.New64a()
	_, _ = h.Write(env.Payload)
	return env.EnvelopeID + ":" + strconv.FormatUint(h.Sum64(), 36)
}

// encodeAck returns the acknowledgement frame for envelopeID. It does not
// escape <, > and & as Go's JSON encoder does by default, which keeps
// payloads with many of them under Slack's size limit.
func encodeAck(envelopeID string, payload any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(ackMessage{EnvelopeID: envelopeID, Payload: payload}); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}
