package paperspacebot

import (
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// Request is the durable record of one machine: a member's request waiting
// for approval, or an admin's create, from the submitted form until the
// machine is ready or the request ends. The store saves every field; handlers
// change it only through the store's conditional updates.
type Request struct {
	// ID identifies the request in button values and logs, for example
	// "r7k2m9x4q1".
	ID string `json:"id"`
	// Key makes a submission idempotent: two requests never share a key. A
	// form submission uses "view:" and the Slack view id.
	Key string `json:"key"`
	// State is the request's step in its life; see State.
	State State `json:"state"`
	// Version grows by one with every write. The store uses it to detect a
	// concurrent change.
	Version int64 `json:"version"`

	Spec Spec `json:"spec"`

	// RequesterID is the Slack user who ran the command and submitted the form.
	RequesterID string `json:"requesterId"`
	// TeamID is the Slack workspace id.
	TeamID string `json:"teamId,omitempty"`
	// ChannelID is the channel where the command ran; results go there.
	ChannelID string `json:"channelId"`
	// ResponseURL is the slash command's response_url. Slack accepts posts to
	// it for 30 minutes; the bot uses it when it cannot post in ChannelID.
	ResponseURL string `json:"responseUrl,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`

	// ApprovalChannelID and ApprovalTS locate the request message with the
	// Approve and Deny buttons.
	ApprovalChannelID string `json:"approvalChannelId,omitempty"`
	ApprovalTS        string `json:"approvalTs,omitempty"`
	// DecidedBy is the Slack user who approved or denied the request.
	DecidedBy string    `json:"decidedBy,omitempty"`
	DecidedAt time.Time `json:"decidedAt,omitzero"`
	// DenyReason is the reason an admin gave for a denial.
	DenyReason string `json:"denyReason,omitempty"`
	// ExpiresAt is when a pending request expires.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`

	// Attempts counts the create calls made for this request.
	Attempts int `json:"attempts"`
	// AttemptStartedAt is when the latest create attempt began. A machine of
	// the same name created after it belongs to this request.
	AttemptStartedAt time.Time `json:"attemptStartedAt,omitzero"`
	// AttemptBy is the Slack admin who started the latest attempt: the
	// creator, the approver or whoever pressed Retry.
	AttemptBy string `json:"attemptBy,omitempty"`
	// Owner is the bot instance running the latest attempt, and LeaseUntil
	// is when another instance may take the attempt over and reconcile it.
	Owner      string    `json:"owner,omitempty"`
	LeaseUntil time.Time `json:"leaseUntil,omitzero"`
	// NewUserID is the Paperspace user that an earlier attempt created from
	// Spec.NewUser. A retry assigns the machine to it.
	NewUserID string `json:"newUserId,omitempty"`
	// Failure is the Core API's message for the latest failure, and
	// FailureField the request field it names, if any.
	Failure      string `json:"failure,omitempty"`
	FailureField string `json:"failureField,omitempty"`
	// Candidates lists the machines that reconciliation found when it could
	// not tell which one belongs to this request.
	Candidates []string `json:"candidates,omitempty"`

	// Machine is the latest known state of the created machine.
	Machine *paperspace.Machine `json:"machine,omitempty"`
	// Reconciled is true when the machine was found by reconciliation
	// rather than returned by the create call.
	Reconciled bool `json:"reconciled,omitempty"`
	// WatchUntil is when the bot stops following the machine.
	WatchUntil time.Time `json:"watchUntil,omitzero"`

	// MessageChannelID and MessageTS locate the machine-details message
	// that the bot updates as the machine changes.
	MessageChannelID string `json:"messageChannelId,omitempty"`
	MessageTS        string `json:"messageTs,omitempty"`
	// WarningTS locates, in MessageChannelID, the latest reconciliation
	// warning, whose Retry button is removed once someone presses it.
	WarningTS string `json:"warningTs,omitempty"`
}

// AuditEntry records one change to a request: who made it, what it was,
// when, and how it ended.
type AuditEntry struct {
	ID        int64     `json:"id"`
	RequestID string    `json:"requestId"`
	At        time.Time `json:"at"`
	// Actor is a Slack user id, or "system" for the bot's own moves.
	Actor string `json:"actor"`
	// Action names the change, for example "create", "approve", "retry".
	Action string `json:"action"`
	From   State  `json:"from,omitempty"`
	To     State  `json:"to,omitempty"`
	// Outcome is a short result, for example "created ps123abc" or the
	// Core API's error message.
	Outcome string `json:"outcome,omitempty"`
}
