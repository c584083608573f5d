package fakecoreapi

import (
	"crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// defaultTeamID is the team of the seed user, and of users and machines
// created without a teamId.
const defaultTeamID = "te456def"

// mustTime parses a seed timestamp in the Core API's format.
func mustTime(text string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		panic(err)
	}
	return t
}

// seedTemplates returns the templates of the Core API documentation: a
// public one, a team one, and a public one whose label is null.
func seedTemplates() []paperspace.Template {
	return []paperspace.Template{
		{
			ID:        "t123abc",
			Name:      "paperspace/t123abc",
			Label:     "Windows 10",
			OS:        "Windows 10 (Server 2016)",
			DtCreated: mustTime("2017-01-03T23:41:06.801Z"),
		},
		{
			ID:        "t456def",
			Name:      "t456def",
			Label:     "New Template 1",
			OS:        "Ubuntu 14.04.5 LTS; uname: 4.2.0-27-generic; distro: ubuntu; major: 14; minor: 04",
			TeamID:    defaultTeamID,
			Region:    "East Coast (NY2)",
			DtCreated: mustTime("2017-02-06T18:46:44.882Z"),
		},
		{
			ID:        "tibsmjg",
			Name:      "paperspace/tibsmjg",
			OS:        "Ubuntu 16.04 Desktop",
			DtCreated: mustTime("2017-06-12T18:21:56.221Z"),
		},
	}
}

func seedUsers() []paperspace.User {
	return []paperspace.User{{
		ID:        "u123abc",
		Email:     "jon@example.com",
		Firstname: "Jon",
		Lastname:  "Snow",
		DtCreated: mustTime("2017-04-15T16:20:59.609Z"),
		TeamID:    defaultTeamID,
	}}
}

func seedNetworks() []paperspace.Network {
	return []paperspace.Network{{
		ID:        "n123abc",
		Name:      "Example Network",
		Region:    "East Coast (NY2)",
		DtCreated: mustTime("2016-12-22T16:36:42.613Z"),
		Network:   "10.64.21.0",
		Netmask:   "255.255.255.0",
		TeamID:    defaultTeamID,
	}}
}

// machineRecord is a stored machine and what the fake needs to move a
// created machine from provisioning to ready.
type machineRecord struct {
	machine paperspace.Machine
	// progress is true for a machine made by a create, until it is ready
	// or SetMachineState takes over.
	progress bool
	// polls counts getMachinePublic requests for the machine.
	polls int
	// hidden holds the fields that a provisioning machine reports as
	// null; they appear when it starts.
	hidden paperspace.Machine
}

type availabilityKey struct {
	region, machineType string
}

// randomID returns prefix and 7 random lower-case letters and digits, as
// the Core API's ids look.
func randomID(prefix string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var buf [7]byte
	_, _ = rand.Read(buf[:])
	for i, b := range buf {
		buf[i] = alphabet[int(b)%len(alphabet)]
	}
	return prefix + string(buf[:])
}

// randomHandle returns a random UUID-shaped event handle.
func randomHandle() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// timestamp truncates t to milliseconds in UTC, the precision of the Core
// API's timestamps, so that stored and encoded times agree.
func timestamp(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

// AddMachine stores m, replacing a machine with the same id. An empty id
// gets a random one and a zero DtCreated gets the clock's time. The
// machine keeps its state until SetMachineState changes it.
func (s *Server) AddMachine(m paperspace.Machine) {
	m = cloneMachine(m)
	if m.DtCreated.IsZero() {
		m.DtCreated = s.now()
	}
	m.DtCreated = timestamp(m.DtCreated)

	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ID == "" {
		m.ID = s.unusedMachineID()
	}
	record := &machineRecord{machine: m}
	if old, ok := s.machineByID[m.ID]; ok {
		*old = *record
		return
	}
	s.machines = append(s.machines, record)
	s.machineByID[m.ID] = record
}

// Machines returns every stored machine with its events, oldest first.
func (s *Server) Machines() []paperspace.Machine {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]paperspace.Machine, 0, len(s.machines))
	for _, record := range s.machines {
		out = append(out, cloneMachine(record.machine))
	}
	return out
}

// SetMachineState sets a machine's state and stops its automatic progress
// to ready. It reports whether the machine exists.
func (s *Server) SetMachineState(id, state string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	record, ok := s.machineByID[id]
	if !ok {
		return false
	}
	if record.machine.State == paperspace.StateProvisioning && state != paperspace.StateProvisioning {
		s.reveal(record)
	}
	record.machine.State = state
	record.progress = false
	return true
}

// AddEvent appends e to a machine's events. A zero DtCreated gets the
// clock's time and an empty Handle a random one. It reports whether the
// machine exists.
func (s *Server) AddEvent(id string, e paperspace.Event) bool {
	if e.DtCreated.IsZero() {
		e.DtCreated = s.now()
	}
	if e.Handle == "" {
		e.Handle = randomHandle()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	record, ok := s.machineByID[id]
	if !ok {
		return false
	}
	record.machine.Events = append(record.machine.Events, e)
	return true
}

// AddUser stores u, replacing a user with the same id. An empty id gets a
// random one.
func (s *Server) AddUser(u paperspace.User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.unusedUserID()
	}
	for i := range s.users {
		if s.users[i].ID == u.ID {
			s.users[i] = u
			return
		}
	}
	s.users = append(s.users, u)
}

// Users returns every stored user, oldest first.
func (s *Server) Users() []paperspace.User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.users)
}

// SetTemplates replaces every template.
func (s *Server) SetTemplates(templates []paperspace.Template) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.templates = cloneTemplates(templates)
}

// SetNetworks replaces every network.
func (s *Server) SetNetworks(networks []paperspace.Network) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.networks = slices.Clone(networks)
}

// SetAvailability sets what getAvailability returns for machineType in
// region. Every pair not set is available.
func (s *Server) SetAvailability(region, machineType string, available bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.availability[availabilityKey{region, machineType}] = available
}

func cloneTemplates(templates []paperspace.Template) []paperspace.Template {
	if templates == nil {
		return []paperspace.Template{}
	}
	return slices.Clone(templates)
}

func cloneMachine(m paperspace.Machine) paperspace.Machine {
	m.Events = slices.Clone(m.Events)
	return m
}

// unusedMachineID returns a new machine id. The caller holds s.mu.
func (s *Server) unusedMachineID() string {
	for {
		id := randomID("ps")
		if _, exists := s.machineByID[id]; !exists {
			return id
		}
	}
}

// unusedUserID returns a new user id. The caller holds s.mu.
func (s *Server) unusedUserID() string {
	for {
		id := randomID("u")
		if _, exists := s.userByID(id); !exists {
			return id
		}
	}
}

// userByID finds a user. The caller holds s.mu.
func (s *Server) userByID(id string) (paperspace.User, bool) {
	for _, u := range s.users {
		if u.ID == id {
			return u, true
		}
	}
	return paperspace.User{}, false
}

// templateFamilies are the operating systems that GeneratedTemplates
// combines into labels: the label's first words and the matching OS text.
var templateFamilies = []struct{ label, os string }{
	{"Ubuntu 22.04", "Ubuntu 22.04.3 LTS; uname: 5.15.0-91-generic"},
	{"Ubuntu 20.04", "Ubuntu 20.04.6 LTS; uname: 5.4.0-150-generic"},
	{"Windows 10", "Windows 10 (Server 2016)"},
	{"Windows Server 2019", "Windows Server 2019 Datacenter"},
	{"ML-in-a-Box", "Ubuntu 22.04 with CUDA 12.1 and cuDNN 8"},
	{"Parsec", "Windows 10 with Parsec"},
	{"Debian 12", "Debian GNU/Linux 12 (bookworm)"},
}

// templateFlavors are the second part of a generated label.
var templateFlavors = []string{"Desktop", "Server", "CUDA 11.8", "CUDA 12.1", "PyTorch", "TensorFlow", "Blender", "Jupyter"}

// GeneratedTemplates returns n templates with distinct ids ("tg" and five
// digits), for load runs and benchmarks of the template search. An n above
// 100000, which five digits cannot number, is capped at 100000. Labels
// combine an operating system, a flavor and a version, so that a word such
// as "ubuntu" or "cuda" matches many of them and a full label matches few.
// Every third template belongs to the seed user's team and region. The
// result is the same for the same n.
func GeneratedTemplates(n int) []paperspace.Template {
	n = min(max(n, 0), 100_000)
	templates := make([]paperspace.Template, n)
	created := mustTime("2020-01-01T00:00:00.000Z")
	for i := range templates {
		family := templateFamilies[i%len(templateFamilies)]
		flavor := templateFlavors[(i/len(templateFamilies))%len(templateFlavors)]
		id := fmt.Sprintf("tg%05d", i)
		t := paperspace.Template{
			ID:        id,
			Name:      "paperspace/" + id,
			Label:     fmt.Sprintf("%s %s v%d", family.label, flavor, i),
			OS:        family.os,
			DtCreated: created.Add(time.Duration(i) * time.Hour),
		}
		if i%3 == 2 {
			t.Name = id
			t.TeamID = defaultTeamID
			t.Region = "East Coast (NY2)"
		}
		templates[i] = t
	}
	return templates
}
