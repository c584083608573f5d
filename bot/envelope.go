package bot

import "encoding/json"

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
	// keep this connection before it asks for a refresh.
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
