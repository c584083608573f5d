package fakecoreapi

import (
	"strconv"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// The wire types encode stored values as the Core API sends them: an empty
// optional field is null rather than "" or 0, byte counts are strings of
// digits, and times have millisecond precision.

type wireMachine struct {
	ID                     string      `json:"id"`
	Name                   string      `json:"name"`
	OS                     *string     `json:"os"`
	RAM                    *string     `json:"ram"`
	CPUs                   int         `json:"cpus"`
	GPU                    *string     `json:"gpu"`
	StorageTotal           *string     `json:"storageTotal"`
	StorageUsed            *string     `json:"storageUsed"`
	UsageRate              string      `json:"usageRate"`
	ShutdownTimeoutInHours int         `json:"shutdownTimeoutInHours"`
	ShutdownTimeoutForces  bool        `json:"shutdownTimeoutForces"`
	PerformAutoSnapshot    bool        `json:"performAutoSnapshot"`
	AutoSnapshotFrequency  *string     `json:"autoSnapshotFrequency"`
	AutoSnapshotSaveCount  *int        `json:"autoSnapshotSaveCount"`
	AgentType              string      `json:"agentType"`
	DtCreated              *string     `json:"dtCreated"`
	State                  string      `json:"state"`
	UpdatesPending         bool        `json:"updatesPending"`
	NetworkID              *string     `json:"networkId"`
	PrivateIPAddress       *string     `json:"privateIpAddress"`
	PublicIPAddress        *string     `json:"publicIpAddress"`
	Region                 *string     `json:"region"`
	UserID                 *string     `json:"userId"`
	TeamID                 *string     `json:"teamId"`
	ScriptID               *string     `json:"scriptId"`
	DtLastRun              *string     `json:"dtLastRun"`
	DynamicPublicIP        *bool       `json:"dynamicPublicIp"`
	MachineType            string      `json:"machineType"`
	Events                 []wireEvent `json:"events,omitempty"`
}

type wireEvent struct {
	Name       string  `json:"name"`
	State      string  `json:"state"`
	ErrorMsg   string  `json:"errorMsg"`
	Handle     string  `json:"handle"`
	DtModified *string `json:"dtModified"`
	DtFinished *string `json:"dtFinished"`
	DtCreated  *string `json:"dtCreated"`
}

// wirePublicTemplate is a public template, which the Core API sends
// without teamId, userId and region.
type wirePublicTemplate struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Label     *string `json:"label"`
	OS        *string `json:"os"`
	DtCreated *string `json:"dtCreated"`
}

// wireTeamTemplate is a template that a team owns.
type wireTeamTemplate struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Label     *string `json:"label"`
	OS        *string `json:"os"`
	TeamID    *string `json:"teamId"`
	UserID    *string `json:"userId"`
	Region    *string `json:"region"`
	DtCreated *string `json:"dtCreated"`
}

type wireUser struct {
	ID        string  `json:"id"`
	Email     string  `json:"email"`
	Firstname string  `json:"firstname"`
	Lastname  string  `json:"lastname"`
	DtCreated *string `json:"dtCreated"`
	TeamID    *string `json:"teamId"`
}

type wireNetwork struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Region    *string `json:"region"`
	DtCreated *string `json:"dtCreated"`
	Network   string  `json:"network"`
	Netmask   string  `json:"netmask"`
	TeamID    *string `json:"teamId"`
}

// maxEvents is how many of the latest events getMachinePublic returns.
const maxEvents = 10

func toWireMachine(m paperspace.Machine, withEvents bool) wireMachine {
	w := wireMachine{
		ID:                     m.ID,
		Name:                   m.Name,
		OS:                     nullString(m.OS),
		RAM:                    nullBytes(m.RAM),
		CPUs:                   m.CPUs,
		GPU:                    nullString(m.GPU),
		StorageTotal:           nullBytes(m.StorageTotal),
		StorageUsed:            nullBytes(m.StorageUsed),
		UsageRate:              m.UsageRate,
		ShutdownTimeoutInHours: m.ShutdownTimeoutInHours,
		ShutdownTimeoutForces:  m.ShutdownTimeoutForces,
		PerformAutoSnapshot:    m.PerformAutoSnapshot,
		AutoSnapshotFrequency:  nullString(string(m.AutoSnapshotFrequency)),
		AgentType:              m.AgentType,
		DtCreated:              nullTime(m.DtCreated),
		State:                  m.State,
		UpdatesPending:         m.UpdatesPending,
		NetworkID:              nullString(m.NetworkID),
		PrivateIPAddress:       nullString(m.PrivateIPAddress),
		PublicIPAddress:        nullString(m.PublicIPAddress),
		Region:                 nullString(m.Region),
		UserID:                 nullString(m.UserID),
		TeamID:                 nullString(m.TeamID),
		ScriptID:               nullString(m.ScriptID),
		DtLastRun:              nullTime(m.DtLastRun),
		MachineType:            m.MachineType,
	}
	if m.AutoSnapshotSaveCount != 0 {
		count := m.AutoSnapshotSaveCount
		w.AutoSnapshotSaveCount = &count
	}
	if m.DynamicPublicIP {
		dynamic := true
		w.DynamicPublicIP = &dynamic
	}
	if withEvents {
		events := m.Events
		if len(events) > maxEvents {
			events = events[len(events)-maxEvents:]
		}
		w.Events = make([]wireEvent, 0, len(events))
		for _, e := range events {
			w.Events = append(w.Events, wireEvent{
				Name:       e.Name,
				State:      e.State,
				ErrorMsg:   e.ErrorMsg,
				Handle:     e.Handle,
				DtModified: nullTime(e.DtModified),
				DtFinished: nullTime(e.DtFinished),
				DtCreated:  nullTime(e.DtCreated),
			})
		}
	}
	return w
}

// toWireTemplate returns a wirePublicTemplate when t has no team, else a
// wireTeamTemplate.
func toWireTemplate(t paperspace.Template) any {
	if t.TeamID == "" {
		return wirePublicTemplate{
			ID:        t.ID,
			Name:      t.Name,
			Label:     nullString(t.Label),
			OS:        nullString(t.OS),
			DtCreated: nullTime(t.DtCreated),
		}
	}
	return wireTeamTemplate{
		ID:        t.ID,
		Name:      t.Name,
		Label:     nullString(t.Label),
		OS:        nullString(t.OS),
		TeamID:    nullString(t.TeamID),
		UserID:    nullString(t.UserID),
		Region:    nullString(t.Region),
		DtCreated: nullTime(t.DtCreated),
	}
}

func toWireUser(u paperspace.User) wireUser {
	return wireUser{
		ID:        u.ID,
		Email:     u.Email,
		Firstname: u.Firstname,
		Lastname:  u.Lastname,
		DtCreated: nullTime(u.DtCreated),
		TeamID:    nullString(u.TeamID),
	}
}

func toWireNetwork(n paperspace.Network) wireNetwork {
	return wireNetwork{
		ID:        n.ID,
		Name:      n.Name,
		Region:    nullString(n.Region),
		DtCreated: nullTime(n.DtCreated),
		Network:   n.Network,
		Netmask:   n.Netmask,
		TeamID:    nullString(n.TeamID),
	}
}

func nullString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullBytes(b paperspace.ByteCount) *string {
	if b == 0 {
		return nil
	}
	text := strconv.FormatInt(int64(b), 10)
	return &text
}

// apiTimeLayout is the Core API's timestamp format, for example
// "2017-02-16T20:26:54.880Z".
const apiTimeLayout = "2006-01-02T15:04:05.000Z"

func formatTime(t time.Time) string {
	return t.UTC().Format(apiTimeLayout)
}

func nullTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	text := formatTime(t)
	return &text
}
