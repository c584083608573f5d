package paperspace

import "time"

// Machine is a Paperspace machine as the Core API returns it. A create
// response leaves most fields null; null decodes as the zero value, so an
// empty string means "not known yet".
type Machine struct {
	ID                     string    `json:"id"`
	Name                   string    `json:"name"`
	OS                     string    `json:"os"`
	RAM                    ByteCount `json:"ram"`
	CPUs                   int       `json:"cpus"`
	GPU                    string    `json:"gpu"`
	StorageTotal           ByteCount `json:"storageTotal"`
	StorageUsed            ByteCount `json:"storageUsed"`
	UsageRate              string    `json:"usageRate"`
	ShutdownTimeoutInHours int       `json:"shutdownTimeoutInHours"`
	ShutdownTimeoutForces  bool      `json:"shutdownTimeoutForces"`
	PerformAutoSnapshot    bool      `json:"performAutoSnapshot"`
	// AutoSnapshotFrequency is "hour", "day", "week" or "month"; some
	// responses carry a number here, which decodes as its decimal text.
	AutoSnapshotFrequency LooseString `json:"autoSnapshotFrequency"`
	AutoSnapshotSaveCount int         `json:"autoSnapshotSaveCount"`
	AgentType             string      `json:"agentType"`
	DtCreated             time.Time   `json:"dtCreated"`
	// State is one of provisioning, off, starting, stopping, restarting,
	// serviceready, ready or upgrading.
	State            string    `json:"state"`
	UpdatesPending   bool      `json:"updatesPending"`
	NetworkID        string    `json:"networkId"`
	PrivateIPAddress string    `json:"privateIpAddress"`
	PublicIPAddress  string    `json:"publicIpAddress"`
	Region           string    `json:"region"`
	UserID           string    `json:"userId"`
	TeamID           string    `json:"teamId"`
	ScriptID         string    `json:"scriptId"`
	DtLastRun        time.Time `json:"dtLastRun"`
	DynamicPublicIP  bool      `json:"dynamicPublicIp"`
	MachineType      string    `json:"machineType"`
	// Events holds the machine's latest events; only getMachinePublic
	// returns them.
	Events []Event `json:"events,omitempty"`
}

// Machine states that the bot acts on.
const (
	StateProvisioning = "provisioning"
	StateReady        = "ready"
	StateOff          = "off"
)

// Event is one step in a machine's life, such as "create" or "start".
type Event struct {
	Name string `json:"name"`
	// State is "new", "in progress", "done" or "error".
	State      string    `json:"state"`
	ErrorMsg   string    `json:"errorMsg"`
	Handle     string    `json:"handle"`
	DtModified time.Time `json:"dtModified"`
	DtFinished time.Time `json:"dtFinished"`
	DtCreated  time.Time `json:"dtCreated"`
}

// Template is an OS template that a machine is created from. Public
// templates leave TeamID, UserID and Region empty.
type Template struct {
	ID string `json:"id"`
	// Name is "paperspace/<id>" for public templates.
	Name string `json:"name"`
	// Label is the display name; it can be null, which decodes as "".
	Label     string    `json:"label"`
	OS        string    `json:"os"`
	TeamID    string    `json:"teamId"`
	UserID    string    `json:"userId"`
	Region    string    `json:"region"`
	DtCreated time.Time `json:"dtCreated"`
}

// User is a Paperspace team user. The Core API spells the name fields
// with a lower-case n.
type User struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Firstname string    `json:"firstname"`
	Lastname  string    `json:"lastname"`
	DtCreated time.Time `json:"dtCreated"`
	TeamID    string    `json:"teamId"`
}

// Network is a private network that a machine can join.
type Network struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Region    string    `json:"region"`
	DtCreated time.Time `json:"dtCreated"`
	Network   string    `json:"network"`
	Netmask   string    `json:"netmask"`
	TeamID    string    `json:"teamId"`
}

// CreateMachineRequest is the JSON body of POST
// /machines/createSingleMachinePublic, with the Core API's field names.
// Either UserID or all of Email, Password, FirstName and LastName are set
// for a team; never both.
type CreateMachineRequest struct {
	Region      string `json:"region"`
	MachineType string `json:"machineType"`
	// Size is the storage size in GB.
	Size        int    `json:"size"`
	BillingType string `json:"billingType"`
	MachineName string `json:"machineName"`
	TemplateID  string `json:"templateId"`

	AssignPublicIP    bool   `json:"assignPublicIp,omitempty"`
	NetworkID         string `json:"networkId,omitempty"`
	TeamID            string `json:"teamId,omitempty"`
	UserID            string `json:"userId,omitempty"`
	Email             string `json:"email,omitempty"`
	Password          string `json:"password,omitempty"`
	FirstName         string `json:"firstName,omitempty"`
	LastName          string `json:"lastName,omitempty"`
	NotificationEmail string `json:"notificationEmail,omitempty"`
}

// MachineFilter selects machines in GET /machines/getMachines. Empty fields
// are not sent; the Core API matches the others exactly.
type MachineFilter struct {
	Name      string
	MachineID string
	State     string
	Region    string
	UserID    string
	TeamID    string
	// Limit is the page size; the Core API's default is 1000.
	Limit int
	// Skip is the number of machines to skip, for paging.
	Skip int
}

// TemplateFilter selects templates in GET /templates/getTemplates. Empty
// fields are not sent; the Core API matches the others exactly.
type TemplateFilter struct {
	ID     string
	Name   string
	Label  string
	OS     string
	TeamID string
	UserID string
	Region string
}

// UserFilter selects users in GET /users/getUsers. Empty fields are not
// sent; the Core API matches the others exactly.
type UserFilter struct {
	ID        string
	Email     string
	Firstname string
	Lastname  string
	TeamID    string
}

// NetworkFilter selects networks in GET /networks/getNetworks. Empty
// fields are not sent; the Core API matches the others exactly.
type NetworkFilter struct {
	ID     string
	Name   string
	Region string
	TeamID string
}
