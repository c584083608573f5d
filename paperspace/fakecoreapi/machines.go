package fakecoreapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/paperspace-bot/paperspace-bot/paperspace"
)

// createFields lists every body field that the Core API documents for
// createSingleMachinePublic, with its JSON type. Any other field gets 400,
// so that a misspelt field such as "assignPublicIP" or "name" fails here.
// NOTE: whether the real Core API rejects or ignores unknown fields is not
// known.
var createFields = map[string]string{
	"region": "string", "machineType": "string", "size": "number", "billingType": "string",
	"machineName": "string", "templateId": "string",
	"assignPublicIp": "bool", "dynamicPublicIp": "bool", "startOnCreate": "bool",
	"networkId": "string", "teamId": "string", "userId": "string",
	"email": "string", "password": "string", "firstName": "string", "lastName": "string",
	"notificationEmail": "string", "scriptId": "string",
	"takeInitialSnapshot": "bool", "markSnapshotAsRestorePoint": "bool", "restorePointFrequency": "string",
	"enableNvlink": "bool", "shutdownTimeoutInHours": "number", "isManaged": "bool",
	"performAutoSnapshot": "bool", "autoSnapshotFrequency": "string", "autoSnapshotSaveCount": "number",
}

// requiredCreateFields are the fields a create must send, in the order the
// Core API documents them.
var requiredCreateFields = []string{"region", "machineType", "size", "billingType", "machineName", "templateId"}

// newUserFields are the fields that create a team user with the machine.
var newUserFields = []string{"email", "password", "firstName", "lastName"}

// createPlan is a validated create request.
type createPlan struct {
	request  paperspace.CreateMachineRequest
	template paperspace.Template
	// dynamicPublicIP is not a field of CreateMachineRequest.
	dynamicPublicIP bool
	scriptID        string
	newUser         bool
}

// serveCreate handles POST /machines/createSingleMachinePublic: it
// validates the request, creates the user from new-user fields, then the
// machine. failure is an injected AfterEffect or AfterUserCreated failure,
// or nil.
func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request, body []byte, failure *Failure) {
	afterUser := failure != nil && failure.AfterUserCreated
	afterEffect := failure != nil && failure.AfterEffect && !afterUser

	s.mu.Lock()
	plan, problem := s.validateCreate(body)
	if problem == "" && plan.newUser {
		plan.request.UserID = s.createUser(plan)
	}
	s.mu.Unlock()

	if afterUser || (afterEffect && problem != "") {
		if !s.pause(r.Context(), failure.Delay) {
			abort(w)
			return
		}
		if failure.replacesResponse() {
			s.writeFailure(w, failure.quoting(plan.request.Password))
			return
		}
	}
	if problem != "" {
		writeError(w, http.StatusBadRequest, problem)
		return
	}

	s.mu.Lock()
	machine := s.createMachine(plan)
	s.mu.Unlock()

	if afterEffect {
		if !s.pause(r.Context(), failure.Delay) {
			abort(w)
			return
		}
		if failure.replacesResponse() {
			s.writeFailure(w, failure)
			return
		}
	}
	writeJSON(w, s.createStatus, toWireMachine(machine, false))
}

// validateCreate decodes and checks a create body. It returns a message
// for the first problem found, which names the field at fault. The caller
// holds s.mu.
func (s *Server) validateCreate(body []byte) (createPlan, string) {
	var plan createPlan
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return plan, "The request body must be a JSON object"
	}

	for _, name := range sortedKeys(fields) {
		kind, known := createFields[name]
		if !known {
			return plan, fmt.Sprintf("Unknown field %q", name)
		}
		if problem := checkType(name, kind, fields[name]); problem != "" {
			return plan, problem
		}
	}
	for _, name := range requiredCreateFields {
		if isNull(fields[name]) {
			return plan, name + " is required"
		}
	}
	var size float64
	_ = json.Unmarshal(fields["size"], &size)
	if size != float64(int(size)) || size < 1 {
		return plan, fmt.Sprintf("size %v must be a whole number of GB greater than 0", size)
	}

	var request paperspace.CreateMachineRequest
	if err := json.Unmarshal(body, &request); err != nil {
		return plan, fmt.Sprintf("The request body is invalid: %v", err)
	}
	plan.request = request
	_ = json.Unmarshal(fields["dynamicPublicIp"], &plan.dynamicPublicIP)
	_ = json.Unmarshal(fields["scriptId"], &plan.scriptID)

	if problem := s.checkMachine(&plan); problem != "" {
		return plan, problem
	}
	if problem := s.checkUser(&plan); problem != "" {
		return plan, problem
	}
	return plan, ""
}

// checkMachine checks the machine fields of a create. The caller holds s.mu.
func (s *Server) checkMachine(plan *createPlan) string {
	request := plan.request
	switch {
	case request.MachineName == "":
		return "machineName must not be empty"
	case !slices.Contains(paperspace.Regions, request.Region):
		return fmt.Sprintf("region %q is not valid; use one of: %s", request.Region, strings.Join(paperspace.Regions, ", "))
	case !slices.Contains(paperspace.MachineTypes, request.MachineType):
		return fmt.Sprintf("machineType %q is not valid; use one of: %s", request.MachineType, strings.Join(paperspace.MachineTypes, ", "))
	case request.BillingType != "hourly" && request.BillingType != "monthly":
		return fmt.Sprintf("billingType %q is not valid; use hourly or monthly", request.BillingType)
	case request.AssignPublicIP && plan.dynamicPublicIP:
		return "assignPublicIp and dynamicPublicIp cannot both be true"
	}

	template, found := s.templateByID(request.TemplateID)
	if !found {
		return "templateId not found"
	}
	plan.template = template
	if request.NetworkID != "" && !s.networkExists(request.NetworkID) {
		return "networkId not found"
	}
	return ""
}

// checkUser checks who gets the machine: an existing userId, or the
// complete new-user fields with an email that no user has. The caller
// holds s.mu.
func (s *Server) checkUser(plan *createPlan) string {
	request := plan.request
	newUserValues := map[string]string{
		"email": request.Email, "password": request.Password,
		"firstName": request.FirstName, "lastName": request.LastName,
	}
	for _, name := range newUserFields {
		if newUserValues[name] != "" {
			plan.newUser = true
		}
	}

	if request.UserID != "" {
		if plan.newUser {
			return "userId cannot be combined with email, password, firstName or lastName"
		}
		if _, found := s.userByID(request.UserID); !found {
			return "userId not found"
		}
		return ""
	}
	if !plan.newUser {
		return ""
	}
	for _, name := range newUserFields {
		if newUserValues[name] == "" {
			return name + " is required to create a user; send email, password, firstName and lastName together"
		}
	}
	for _, u := range s.users {
		if strings.EqualFold(u.Email, request.Email) {
			return fmt.Sprintf("email %s is already associated with a Paperspace account", request.Email)
		}
	}
	return ""
}

// createUser adds the user that plan's new-user fields describe and
// returns its id. The caller holds s.mu.
func (s *Server) createUser(plan createPlan) string {
	request := plan.request
	user := paperspace.User{
		ID:        s.unusedUserID(),
		Email:     request.Email,
		Firstname: request.FirstName,
		Lastname:  request.LastName,
		DtCreated: timestamp(s.now()),
		TeamID:    teamOf(request.TeamID, defaultTeamID),
	}
	s.users = append(s.users, user)
	return user.ID
}

// createMachine stores a new provisioning machine, shaped like the create
// response of the Core API documentation, and returns it. The caller
// holds s.mu.
func (s *Server) createMachine(plan createPlan) paperspace.Machine {
	request := plan.request
	now := timestamp(s.now())

	owner := s.owner(plan)
	machine := paperspace.Machine{
		ID:                     s.unusedMachineID(),
		Name:                   request.MachineName,
		CPUs:                   1,
		UsageRate:              request.MachineType + " " + request.BillingType,
		ShutdownTimeoutInHours: 24,
		AgentType:              agentType(plan.template.OS),
		DtCreated:              now,
		State:                  paperspace.StateProvisioning,
		UserID:                 owner.ID,
		TeamID:                 teamOf(request.TeamID, owner.TeamID, defaultTeamID),
		ScriptID:               plan.scriptID,
		DynamicPublicIP:        plan.dynamicPublicIP,
		MachineType:            request.MachineType,
		Events: []paperspace.Event{{
			Name: "create", State: "in progress", Handle: randomHandle(), DtModified: now, DtCreated: now,
		}},
	}
	if request.AssignPublicIP {
		machine.PublicIPAddress = s.nextPublicIPAddress()
	}

	hidden := hardware(request.MachineType)
	hidden.OS = plan.template.OS
	hidden.Region = request.Region
	hidden.StorageTotal = paperspace.ByteCount(request.Size) << 30
	hidden.NetworkID = request.NetworkID
	hidden.PrivateIPAddress = fmt.Sprintf("10.64.%d.%d", len(s.machines)/250%250, len(s.machines)%250+2)

	record := &machineRecord{machine: machine, progress: true, hidden: hidden}
	s.machines = append(s.machines, record)
	s.machineByID[machine.ID] = record
	return cloneMachine(machine)
}

// owner returns the user who gets the machine: the userId sent or made
// from new-user fields, or else the first stored user, who represents the
// account that owns the API key. The caller holds s.mu.
func (s *Server) owner(plan createPlan) paperspace.User {
	if id := plan.request.UserID; id != "" {
		user, _ := s.userByID(id)
		return user
	}
	if len(s.users) > 0 {
		return s.users[0]
	}
	return paperspace.User{}
}

// nextPublicIPAddress returns a new address from 203.0.113.0/24, a range
// reserved for documentation. The caller holds s.mu.
func (s *Server) nextPublicIPAddress() string {
	s.nextPublicIP++
	return fmt.Sprintf("203.0.113.%d", (s.nextPublicIP-1)%254+1)
}

// getMachine handles GET /machines/getMachinePublic. Each request for a
// created machine counts as one poll and moves it along
// provisioning, starting, ready.
func (s *Server) getMachine(r *http.Request) (int, any) {
	id := r.URL.Query().Get("machineId")
	if id == "" {
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "machineId is required")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	record, ok := s.machineByID[id]
	if !ok {
		return http.StatusNotFound, errorBody(http.StatusNotFound, "Machine not found")
	}
	if record.progress {
		s.advance(record)
	}
	return http.StatusOK, toWireMachine(record.machine, true)
}

// advance counts one poll of a created machine and moves its state: it
// stays provisioning for readyAfter polls, then starts, then is ready.
// The caller holds s.mu.
func (s *Server) advance(record *machineRecord) {
	record.polls++
	now := timestamp(s.now())
	machine := &record.machine
	switch {
	case record.polls <= s.readyAfter:
		return
	case machine.State == paperspace.StateProvisioning:
		s.reveal(record)
		machine.State = "starting"
		finishEvent(machine.Events, "create", now)
		machine.Events = append(machine.Events, paperspace.Event{
			Name: "start", State: "in progress", Handle: randomHandle(), DtModified: now, DtCreated: now,
		})
	default:
		machine.State = paperspace.StateReady
		finishEvent(machine.Events, "start", now)
		record.progress = false
	}
}

// reveal fills in the fields that the Core API leaves null while a machine
// is provisioning. The caller holds s.mu.
func (s *Server) reveal(record *machineRecord) {
	machine, hidden := &record.machine, record.hidden
	if hidden.Region == "" {
		return // added by AddMachine, which has nothing hidden
	}
	machine.OS = hidden.OS
	machine.RAM = hidden.RAM
	machine.CPUs = hidden.CPUs
	machine.GPU = hidden.GPU
	machine.StorageTotal = hidden.StorageTotal
	machine.StorageUsed = hidden.StorageTotal / 20
	machine.Region = hidden.Region
	machine.NetworkID = hidden.NetworkID
	machine.PrivateIPAddress = hidden.PrivateIPAddress
	record.hidden = paperspace.Machine{}
}

// finishEvent marks the latest event called name as done.
func finishEvent(events []paperspace.Event, name string, now time.Time) {
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Name == name {
			events[i].State = "done"
			events[i].DtModified = now
			events[i].DtFinished = now
			return
		}
	}
}

// getAvailability handles GET /machines/getAvailability.
func (s *Server) getAvailability(r *http.Request) (int, any) {
	query := r.URL.Query()
	region, machineType := query.Get("region"), query.Get("machineType")
	switch {
	case region == "":
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "region is required")
	case machineType == "":
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, "machineType is required")
	case !slices.Contains(paperspace.Regions, region):
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, fmt.Sprintf("region %q is not valid", region))
	case !slices.Contains(paperspace.MachineTypes, machineType):
		return http.StatusBadRequest, errorBody(http.StatusBadRequest, fmt.Sprintf("machineType %q is not valid", machineType))
	}

	s.mu.Lock()
	available, set := s.availability[availabilityKey{region, machineType}]
	s.mu.Unlock()
	return http.StatusOK, map[string]bool{"available": available || !set}
}

// templateByID finds a template. The caller holds s.mu.
func (s *Server) templateByID(id string) (paperspace.Template, bool) {
	for _, t := range s.templates {
		if t.ID == id {
			return t, true
		}
	}
	return paperspace.Template{}, false
}

// networkExists reports whether a network has id. The caller holds s.mu.
func (s *Server) networkExists(id string) bool {
	for _, n := range s.networks {
		if n.ID == id {
			return true
		}
	}
	return false
}

// checkType returns a message when raw is not null and not of kind
// ("string", "number" or "bool").
func checkType(name, kind string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return ""
	}
	var ok bool
	switch kind {
	case "string":
		ok = raw[0] == '"'
	case "number":
		ok = raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9')
	case "bool":
		ok = bytes.Equal(raw, []byte("true")) || bytes.Equal(raw, []byte("false"))
	}
	if ok {
		return ""
	}
	if kind == "bool" {
		kind = "boolean"
	}
	return fmt.Sprintf("%s must be a %s", name, kind)
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

func sortedKeys(fields map[string]json.RawMessage) []string {
	return slices.Sorted(maps.Keys(fields))
}

// teamOf returns the first non-empty team id.
func teamOf(ids ...string) string {
	for _, id := range ids {
		if id != "" {
			return id
		}
	}
	return ""
}

// agentType guesses the agent type from a template's OS text.
func agentType(os string) string {
	switch lower := strings.ToLower(os); {
	case strings.Contains(lower, "windows"):
		return "WindowsDesktop"
	case strings.Contains(lower, "desktop"):
		return "LinuxDesktop"
	default:
		return "LinuxHeadless"
	}
}

// gpus names the GPU of each dedicated GPU machine type.
var gpus = map[string]string{
	"GPU+":  "Quadro M4000",
	"P4000": "Quadro P4000",
	"P5000": "Quadro P5000",
	"P6000": "Quadro P6000",
	"V100":  "Tesla V100",
}

// hardware returns plausible RAM, CPUs and GPU for a machine type.
// NOTE: the figures are made up for the fake; they are not Paperspace's.
func hardware(machineType string) paperspace.Machine {
	if gpu, ok := gpus[machineType]; ok {
		return paperspace.Machine{RAM: 30 << 30, CPUs: 8, GPU: gpu}
	}
	return paperspace.Machine{RAM: 8 << 30, CPUs: 2}
}
