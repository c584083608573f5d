package blocks

// Block ids of the form's inputs. Each input uses the same string as its
// block_id and its action_id, and submission errors are keyed by it.
const (
	BlockMachineName       = "machine_name"
	BlockRegion            = "region"
	BlockMachineType       = "machine_type"
	BlockTemplate          = "template"
	BlockStorageSize       = "storage_size"
	BlockAssignee          = "assignee"
	BlockNewUserEmail      = "new_user_email"
	BlockNewUserFirstName  = "new_user_first_name"
	BlockNewUserLastName   = "new_user_last_name"
	BlockPublicIP          = "public_ip"
	BlockNetwork           = "network"
	BlockNotificationEmail = "notification_email"
	// BlockDenyReason is the reason input of the deny modal.
	BlockDenyReason = "deny_reason"
)

// OptionPublicIP is the value of the public IP checkbox when it is ticked.
const OptionPublicIP = "public_ip"

// Callback ids of the modals.
const (
	CallbackCreate  = "create_machine"
	CallbackRequest = "request_machine"
	CallbackApprove = "approve_request"
	CallbackDeny    = "deny_request"
	CallbackLoading = "loading"
	CallbackNotice  = "notice"
)

// Action ids of the message buttons. The value of each button is the
// request id.
const (
	ActionApprove = "approve_request"
	ActionDeny    = "deny_request"
	ActionRetry   = "retry_create"
)
