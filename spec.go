package paperspacebot

// Spec is a machine to create, as entered in the create, request or approval
// form. It never contains a password: the bot generates the password for a
// new user just before the create call and keeps it only in memory.
type Spec struct {
	// Name is the machine name sent as machineName, 1 to 64 characters.
	Name string `json:"name"`
	// Region is the Core API region name, for example "East Coast (NY2)".
	Region string `json:"region"`
	// MachineType is the Core API machine type, for example "P4000".
	MachineType string `json:"machineType"`
	// TemplateID is the Core API template id, for example "t123abc".
	TemplateID string `json:"templateId"`
	// TemplateLabel is the template's display text, kept to render messages.
	TemplateLabel string `json:"templateLabel,omitempty"`
	// SizeGB is the storage size in whole gigabytes.
	SizeGB int `json:"sizeGb"`
	// AssigneeID is the id of an existing Paperspace user who gets the
	// machine. It is empty when NewUser is set.
	AssigneeID string `json:"assigneeId,omitempty"`
	// AssigneeLabel is the assignee's display text, kept to render messages.
	AssigneeLabel string `json:"assigneeLabel,omitempty"`
	// NewUser, when set, makes the Core API to create a team user with the
	// machine.
	NewUser *NewUser `json:"newUser,omitempty"`
	// PublicIP requests a static public IP address (assignPublicIp).
	PublicIP bool `json:"publicIp"`
	// NetworkID is an optional private network id.
	NetworkID string `json:"networkId,omitempty"`
	// NotificationEmail is an optional address that the Core API notifies.
	NotificationEmail string `json:"notificationEmail,omitempty"`
}

// NewUser is a Paperspace team user to create together with a machine.
type NewUser struct {
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}
